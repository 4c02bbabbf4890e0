// Black-box tests of ban sharing: real daemons and a real nats-server on loopback, each test
// with its own server, port and JetStream directory. A ban made on one host reaches the
// others within a second; a host that was down catches up, a server that was down loses
// nothing; duplicates, hostile messages and wrong credentials change nothing they must not.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ClusterStatus, Status } from '../../src/protocol.js';
import {
  type Config,
  type Daemon,
  type Fifo,
  PATTERNS,
  type Sandbox,
  sandbox,
  until,
} from '../daemon/harness.js';
import { haveNats, messageBytes, NatsServer, publisher, type User } from './nats.js';

// .ci/run installs nats-server: under CI its absence fails every test instead of skipping it.
const skip =
  haveNats() || process.env.CI === 'true'
    ? false
    : 'nats-server is not installed (Debian package nats-server)';
/** Publish to applied on another host, whatever the machine's load: the promise of the README. */
const BOUND = 1000;

interface Host {
  readonly name: string;
  readonly sb: Sandbox;
  readonly fifo: Fifo;
  readonly config: Config;
  daemon: Daemon;
}

function hostConfig(sb: Sandbox, name: string, server: NatsServer, user: User): Config {
  writeFileSync(sb.path('nats.password'), `${user.password}\n`);
  return {
    concurrency: 4,
    patterns: PATTERNS,
    cluster: {
      node: name,
      nats: { servers: [server.url], user: user.user, password_file: sb.path('nats.password') },
    },
    streams: {
      s: {
        cmd: ['cat', sb.path('in.fifo')],
        filters: {
          fail: {
            regex: ['^fail <ip>$'],
            actions: {
              ban: { cmd: sb.cmd('stamp', 'actions.log', 'ban', '<ip>') },
              share: { type: 'cluster', options: { send: 'ban <ip>' } },
            },
          },
        },
      },
      peers: {
        type: 'cluster',
        filters: {
          banned: {
            regex: ['^ban <ip>$'],
            actions: {
              ban: { cmd: sb.cmd('stamp', 'actions.log', 'peerban', '<ip>') },
              unban: { cmd: sb.cmd('record', 'actions.log', 'peerunban', '<ip>'), after: '1h' },
            },
          },
        },
      },
    },
  };
}

async function startHost(
  t: Parameters<typeof sandbox>[0],
  name: string,
  server: NatsServer,
  o: { user?: User; wait?: boolean } = {},
): Promise<Host> {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const config = hostConfig(sb, name, server, o.user ?? { user: 'riposte', password: 'secret' });
  const daemon = await sb.started(config);
  const host = { name, sb, fifo, config, daemon };
  if (o.wait !== false) await connected(host);
  return host;
}

async function status(host: Host): Promise<Status> {
  const r = await host.sb.cli('status', '-f', 'json');
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Status;
}

async function clusterOf(host: Host): Promise<ClusterStatus> {
  const cluster = (await status(host)).cluster;
  if (cluster === undefined) throw new Error('no cluster in status');
  return cluster;
}

async function waitCluster(host: Host, ok: (c: ClusterStatus) => boolean): Promise<ClusterStatus> {
  const end = Date.now() + 20_000;
  for (;;) {
    const c = await clusterOf(host);
    if (ok(c)) return c;
    if (Date.now() > end)
      throw new Error(`cluster status never as expected: ${JSON.stringify(c)}\n${host.daemon.log}`);
    await new Promise((done) => setTimeout(done, 25));
  }
}

function connected(host: Host): Promise<ClusterStatus> {
  return waitCluster(host, (c) => c.state === 'connected');
}

/** The lines of a host's action log that start with `word`, without their time stamp. */
function actions(host: Host, word: string): string[] {
  return host.sb
    .lines('actions.log')
    .filter((l) => l.startsWith(`${word} `))
    .map((l) => l.split(' ').slice(0, 2).join(' '));
}

function waitActions(host: Host, word: string, count: number): Promise<string[]> {
  return until(`${count} "${word}" action(s) on ${host.name}`, host.daemon, () => {
    const found = actions(host, word);
    return found.length >= count ? found : undefined;
  });
}

function waitAction(host: Host, action: string): Promise<true> {
  return until(`"${action}" on ${host.name}`, host.daemon, () =>
    actions(host, action.split(' ')[0]!).includes(action) ? true : undefined,
  );
}

/** The time stamp `stamp` wrote for the action `word ip`. */
function stampOf(host: Host, word: string, ip: string): number {
  const line = host.sb.lines('actions.log').find((l) => l.startsWith(`${word} ${ip} `));
  if (line === undefined) throw new Error(`no "${word} ${ip}" on ${host.name}`);
  return Number(line.split(' ')[2]);
}

const MESSAGE = { v: 1, epoch: '0123456789abcdef' };

// The latency test runs alone; the others, each with its own server, port and daemons, run
// side by side to keep the file short.
test('five hosts: a ban made on one is applied by the four others within a second', {
  skip,
}, async (t) => {
  const server = await NatsServer.start(t);
  const hosts = await Promise.all(
    ['web1', 'web2', 'web3', 'web4', 'web5'].map((n) => startHost(t, n, server)),
  );
  const latencies: number[] = [];
  for (const [i, origin] of hosts.entries()) {
    const ip = `192.0.2.${i + 1}`;
    const sent = Date.now();
    origin.fifo.write(`fail ${ip}`);
    const others = hosts.filter((h) => h !== origin);
    await Promise.all(others.map((h) => waitAction(h, `peerban ${ip}`)));
    for (const h of others) latencies.push(stampOf(h, 'peerban', ip) - sent);
    // A host does not apply its own line a second time.
    assert.deepEqual(actions(origin, 'peerban').includes(`peerban ${ip}`), false);
  }
  t.diagnostic(`write to applied, ms: ${latencies.join(' ')}`);
  for (const ms of latencies) assert.ok(ms < BOUND, `${ms} ms`);
  for (const h of hosts) {
    assert.equal(actions(h, 'peerban').length, 4);
    assert.equal(new Set(actions(h, 'peerban')).size, 4);
  }
});

describe('ban sharing', { concurrency: 3 }, () => {
  test('a host stopped while 10 bans are published applies them on return, none twice', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const [a, b] = await Promise.all([startHost(t, 'web1', server), startHost(t, 'web2', server)]);
    a.fifo.write('fail 198.51.100.100');
    await waitActions(b, 'peerban', 1);
    await b.daemon.stop();
    const ips = Array.from({ length: 10 }, (_, i) => `198.51.100.${i + 1}`);
    a.fifo.write(...ips.map((ip) => `fail ${ip}`));
    await waitCluster(a, (c) => c.published === 11 && c.outbox === 0);
    b.daemon = await b.sb.started(b.config);
    await waitActions(b, 'peerban', 12);
    const c = await waitCluster(b, (s) => s.applied === 10 && s.lag.messages === 0);
    assert.equal(c.duplicates, 0);
    // Each missed ban once; the first one, delivered before the stop, is not delivered again:
    // its ban runs a second time only as every restored ban does (the firewall may be empty).
    const expected = ['198.51.100.100', '198.51.100.100', ...ips].map((ip) => `peerban ${ip}`);
    assert.deepEqual(actions(b, 'peerban').toSorted(), expected.toSorted());
    assert.equal(b.daemon.logLines('peers.banned: match 198.51.100.100').length, 0);
    const report = await b.sb.show();
    assert.equal(Object.keys(report['peers']?.['banned'] ?? {}).length, 11);
  });

  test('the server killed and restarted while both sides ban: local bans go on, nothing is lost or doubled', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const [a, b] = await Promise.all([startHost(t, 'web1', server), startHost(t, 'web2', server)]);
    await server.kill();
    await waitCluster(a, (c) => c.state !== 'connected');
    const sent = Date.now();
    a.fifo.write('fail 203.0.113.1', 'fail 203.0.113.2');
    b.fifo.write('fail 203.0.113.3');
    await Promise.all([waitActions(a, 'ban', 2), waitActions(b, 'ban', 1)]);
    // Local bans never wait for the engine.
    assert.ok(stampOf(a, 'ban', '203.0.113.2') - sent < BOUND);
    assert.equal((await clusterOf(a)).outbox, 2);
    assert.equal((await clusterOf(b)).outbox, 1);
    await server.restart();
    await Promise.all([waitActions(b, 'peerban', 2), waitActions(a, 'peerban', 1)]);
    a.fifo.write('fail 203.0.113.4');
    await waitActions(b, 'peerban', 3);
    await Promise.all([
      waitCluster(a, (c) => c.outbox === 0 && c.applied === 1),
      waitCluster(b, (c) => c.outbox === 0 && c.applied === 3),
    ]);
    assert.deepEqual(actions(b, 'peerban').toSorted(), [
      'peerban 203.0.113.1',
      'peerban 203.0.113.2',
      'peerban 203.0.113.4',
    ]);
    assert.deepEqual(actions(a, 'peerban'), ['peerban 203.0.113.3']);
  });

  test('a message published twice, under one id or two, is applied once', { skip }, async (t) => {
    const server = await NatsServer.start(t);
    const b = await startHost(t, 'web2', server);
    const peer = await publisher(server, 'web9');
    t.after(() => peer.close());
    const message = messageBytes({ ...MESSAGE, seq: 1, line: 'ban 192.0.2.50', time: Date.now() });
    await peer.publish(message, 'web9.0123456789abcdef.1');
    await peer.publish(message, 'web9.0123456789abcdef.1');
    await peer.publish(message, 'another id, past the engine de-duplication');
    const next = messageBytes({ ...MESSAGE, seq: 2, line: 'ban 192.0.2.51', time: Date.now() });
    await peer.publish(next, 'web9.0123456789abcdef.2');
    await waitActions(b, 'peerban', 2);
    const c = await waitCluster(b, (s) => s.received === 3);
    assert.equal(c.applied, 2);
    assert.equal(c.duplicates, 1);
    // The two bans run side by side (concurrency 4): in either order, each once.
    assert.deepEqual(actions(b, 'peerban').toSorted(), [
      'peerban 192.0.2.50',
      'peerban 192.0.2.51',
    ]);
  });

  test('hostile messages reach no action: every value is checked by the filter and its pattern', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const b = await startHost(t, 'web2', server);
    const peer = await publisher(server, 'web9');
    t.after(() => peer.close());
    const marker = b.sb.path('pwned');
    const lines = [
      `ban 192.0.2.60; touch ${marker}`,
      `ban $(touch ${marker})`,
      `ban 192.0.2.61\nban 192.0.2.62`,
      'ban 999.1.1.1',
      `ban ${'1'.repeat(5000)}`,
    ];
    for (const [i, line] of lines.entries())
      await peer.publish(messageBytes({ ...MESSAGE, seq: i + 1, line, time: Date.now() }), `h${i}`);
    await peer.publish(new TextEncoder().encode(`ban 192.0.2.63`), 'not json');
    await peer.publish(
      messageBytes({ ...MESSAGE, seq: 99, line: 'ban 192.0.2.64', time: Date.now() }),
      'ok',
    );
    await waitActions(b, 'peerban', 1);
    const c = await waitCluster(b, (s) => s.received === 7);
    assert.deepEqual(actions(b, 'peerban'), ['peerban 192.0.2.64']);
    assert.equal(c.refused, 3);
    assert.equal(existsSync(marker), false);
    assert.deepEqual(Object.keys((await b.sb.show())['peers']?.['banned'] ?? {}), ['192.0.2.64']);
    assert.ok(b.daemon.logLines('cluster: refused').length >= 1, b.daemon.log);
  });

  test('a ban from the past is counted at its time: over already, it runs nothing; else it lasts its due time', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const b = await startHost(t, 'web2', server);
    const peer = await publisher(server, 'web9');
    t.after(() => peer.close());
    const hour = 3_600_000;
    const old = Date.now() - 2 * hour;
    const recent = Date.now() - hour / 2;
    await peer.publish(
      messageBytes({ ...MESSAGE, seq: 1, line: 'ban 192.0.2.70', time: old }),
      'p1',
    );
    await peer.publish(
      messageBytes({ ...MESSAGE, seq: 2, line: 'ban 192.0.2.71', time: recent }),
      'p2',
    );
    await waitActions(b, 'peerban', 1);
    await waitCluster(b, (s) => s.applied === 2);
    assert.deepEqual(actions(b, 'peerban'), ['peerban 192.0.2.71']);
    assert.deepEqual(actions(b, 'peerunban'), []);
    const report = await b.sb.show();
    assert.deepEqual(report['peers']?.['banned'], {
      '192.0.2.71': { actions: { unban: [recent + hour] } },
    });
  });

  test('wrong credentials are refused with a clear error, and local bans go on', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const a = await startHost(t, 'web1', server, {
      user: { user: 'riposte', password: 'wrong' },
      wait: false,
    });
    const c = await waitCluster(a, (s) => s.state === 'refused');
    assert.match(c.reason ?? '', /authorization violation/);
    await a.daemon.waitLog(
      `ERROR cluster: cannot connect to ${server.url}: authorization violation: the server refused the credentials of cluster.nats`,
    );
    a.fifo.write('fail 192.0.2.80');
    await waitActions(a, 'ban', 1);
    assert.equal((await clusterOf(a)).outbox, 1);
  });

  test("with the README's per-host permissions a host publishes under its own name only", {
    skip,
  }, async (t) => {
    const js = (api: string) => `"$JS.API.${api}"`;
    const own = (node: string): User => {
      const allow = [
        `"riposte.bans.${node}"`,
        js('INFO'),
        js('STREAM.INFO.RIPOSTE_BANS'),
        js(`CONSUMER.CREATE.RIPOSTE_BANS.${node}`),
        js(`CONSUMER.CREATE.RIPOSTE_BANS.${node}.>`),
        js(`CONSUMER.DURABLE.CREATE.RIPOSTE_BANS.${node}`),
        js(`CONSUMER.INFO.RIPOSTE_BANS.${node}`),
        js(`CONSUMER.DELETE.RIPOSTE_BANS.${node}`),
        js(`CONSUMER.MSG.NEXT.RIPOSTE_BANS.${node}`),
        `"$JS.ACK.RIPOSTE_BANS.${node}.>"`,
      ];
      return {
        user: node,
        password: `${node}-secret`,
        permissions: `{ publish: { allow: [${allow.join(', ')}] }, subscribe: { allow: ["_INBOX.>"] } }`,
      };
    };
    const admin: User = { user: 'admin', password: 'admin-secret' };
    const server = await NatsServer.start(t, [admin, own('web1'), own('web2')]);
    // An admin makes the stream: the hosts may read its information, not create or delete it.
    await (await publisher(server, 'admin', admin)).close();
    const [a, b] = await Promise.all([
      startHost(t, 'web1', server, { user: own('web1') }),
      startHost(t, 'web2', server, { user: own('web2') }),
    ]);
    a.fifo.write('fail 192.0.2.90');
    await waitActions(b, 'peerban', 1);
    // web2's password cannot speak for web1: the server refuses the subject.
    const forger = await publisher(server, 'web1', own('web2'));
    t.after(() => forger.close());
    const forged = messageBytes({ ...MESSAGE, seq: 1, line: 'ban 192.0.2.91', time: Date.now() });
    await assert.rejects(forger.publish(forged, 'forged'));
    b.fifo.write('fail 192.0.2.92');
    await waitActions(a, 'peerban', 1);
    assert.deepEqual(actions(a, 'peerban'), ['peerban 192.0.2.92']);
    assert.deepEqual(actions(b, 'peerban'), ['peerban 192.0.2.90']);
  });

  test('a line shared while the server is down survives a crash of its host, and is published once', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const [a, b] = await Promise.all([startHost(t, 'web1', server), startHost(t, 'web2', server)]);
    await server.kill();
    await waitCluster(a, (c) => c.state !== 'connected');
    a.fifo.write('fail 192.0.2.100');
    await waitCluster(a, (c) => c.outbox === 1);
    await a.sb.settle(a.daemon);
    await a.daemon.crash();
    await server.restart();
    a.daemon = await a.sb.started(a.config);
    await waitActions(b, 'peerban', 1);
    const c = await waitCluster(a, (s) => s.outbox === 0 && s.published === 1);
    // Published from the outbox kept in the state; the restart did not share it a second time.
    assert.equal(c.shared, 0);
    await waitCluster(b, (s) => s.applied === 1);
    assert.deepEqual(actions(b, 'peerban'), ['peerban 192.0.2.100']);
    assert.equal(a.daemon.logLines('s.fail.share: share').length, 0);
  });

  test('a stream that keeps lines for less than max_age is reported', { skip }, async (t) => {
    const server = await NatsServer.start(t);
    await (await publisher(server, 'admin')).close();
    const sb = sandbox(t);
    sb.fifo();
    const config = hostConfig(sb, 'web1', server, { user: 'riposte', password: 'secret' });
    const cluster = config['cluster'] as { nats: Record<string, unknown> };
    cluster.nats['max_age'] = '7d';
    const daemon = await sb.started(config);
    await daemon.waitLog(
      'WARN  cluster: stream RIPOSTE_BANS keeps lines 24h, less than the 7d of cluster.nats.max_age: a host down longer misses bans still in effect',
    );
  });

  test('a server that lost its storage gets the stream and the consumers made again', {
    skip,
  }, async (t) => {
    const server = await NatsServer.start(t);
    const [a, b] = await Promise.all([startHost(t, 'web1', server), startHost(t, 'web2', server)]);
    a.fifo.write('fail 192.0.2.110');
    await waitActions(b, 'peerban', 1);
    await server.kill();
    server.wipe();
    await server.restart();
    a.fifo.write('fail 192.0.2.111');
    await waitActions(b, 'peerban', 2);
    assert.deepEqual(actions(b, 'peerban'), ['peerban 192.0.2.110', 'peerban 192.0.2.111']);
    await b.daemon.waitLog("cluster: the engine's log was made anew");
  });

  test('a password file that cannot be read stops start-up and names the file', async (t) => {
    const sb = sandbox(t);
    sb.fifo();
    const config = hostConfig(sb, 'web1', { url: 'nats://127.0.0.1:9' } as NatsServer, {
      user: 'riposte',
      password: 'secret',
    });
    const missing = sb.path('missing.password');
    (config['cluster'] as { nats: Record<string, unknown> }).nats['password_file'] = missing;
    const daemon = sb.start(config);
    assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
    assert.ok(
      daemon.logLines(
        `ERROR cannot start: cannot read cluster.nats.password_file ${missing}: ENOENT`,
      ).length === 1,
      daemon.log,
    );
  });
});
