// The `cluster` key and the cluster stream and action types, through loadConfig(): what is
// accepted, the defaults, and every mistake named at its key.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Loaded, loadConfig } from './config.js';

const NATS = { servers: ['nats://127.0.0.1:4222'], user: 'web1', password_file: '/etc/p' };
const PEERS = {
  type: 'cluster',
  filters: {
    banned: {
      regex: ['^ban <ip>$'],
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        unban: { cmd: ['unban', '<ip>'], after: '3d' },
      },
    },
  },
};
const SSH = {
  cmd: ['tail', '-F', '/var/log/auth.log'],
  filters: {
    f: {
      regex: ['fail <ip>'],
      retry: 3,
      retryperiod: '1h',
      actions: { share: { type: 'cluster', options: { send: 'ban <ip>' } } },
    },
  },
};

async function load(config: object): Promise<Loaded> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ patterns: { ip: { type: 'ip' } }, ...config }));
    return await loadConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function errors(config: object): Promise<string[]> {
  const loaded = await load(config);
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.errors.map((e) => e.reason);
}

test('loadConfig() reads a cluster with its defaults; max_age covers the longest ban', async () => {
  const loaded = await load({
    cluster: { node: 'web1', nats: NATS },
    streams: { peers: PEERS, ssh: SSH },
  });
  assert.ok(loaded.ok);
  const cluster = loaded.config.cluster!;
  assert.equal(cluster.node, 'web1');
  assert.deepEqual(cluster.nats.credentials, {
    type: 'password',
    user: 'web1',
    passwordFile: '/etc/p',
  });
  assert.equal(cluster.nats.subject, 'riposte.bans');
  assert.equal(cluster.nats.stream, 'RIPOSTE_BANS');
  assert.equal(cluster.nats.maxAge, 3 * 86_400_000);
  const share = loaded.config.streams[1]!.filters[0]!.actions[0]!;
  assert.equal(share.type, 'cluster');
});

test('loadConfig() takes the node name from the host name by default', async () => {
  const loaded = await load({ cluster: { nats: NATS }, streams: { peers: PEERS } });
  assert.ok(loaded.ok);
  assert.match(loaded.config.cluster!.node, /^[A-Za-z0-9_-]+$/);
});

const BROKEN: [string, object, string][] = [
  [
    'a cluster stream without the cluster key',
    { streams: { peers: PEERS } },
    'streams.peers.type: a stream of type "cluster" needs the "cluster" key',
  ],
  [
    'a cluster action without the cluster key',
    { streams: { ssh: SSH } },
    'streams.ssh.filters.f.actions.share.type: an action of type "cluster" needs the "cluster" key',
  ],
  [
    'two cluster streams',
    { cluster: { node: 'a', nats: NATS }, streams: { peers: PEERS, more: PEERS } },
    'streams.more.type: a configuration has one stream of type "cluster" at most ("peers" is one): its filters tell the lines apart',
  ],
  [
    'a command on a cluster stream',
    { cluster: { node: 'a', nats: NATS }, streams: { peers: { ...PEERS, cmd: ['cat'] } } },
    'streams.peers.cmd: a cluster stream has no command: the actions of type "cluster" of the other hosts feed it',
  ],
  [
    'a node name that is not a subject token',
    { cluster: { node: 'web.1', nats: NATS }, streams: { peers: PEERS } },
    'cluster.node: a node name is 1 to 64 letters, digits, "_" or "-"',
  ],
  [
    'two ways to authenticate',
    { cluster: { node: 'a', nats: { ...NATS, token: 't' } }, streams: { peers: PEERS } },
    'cluster.nats: "user" and "token" are two ways to authenticate: keep one',
  ],
  [
    'a user without a password',
    {
      cluster: { node: 'a', nats: { servers: ['nats://h:4222'], user: 'u' } },
      streams: { peers: PEERS },
    },
    'cluster.nats: user "u" needs one of "password" or "password_file"',
  ],
  [
    'no servers',
    { cluster: { node: 'a', nats: { user: 'u', password: 'p' } }, streams: { peers: PEERS } },
    'cluster.nats: missing key "servers"',
  ],
  [
    'an unknown key',
    { cluster: { node: 'a', nats: { ...NATS, replica: 3 } }, streams: { peers: PEERS } },
    'cluster.nats.replica: unknown key, did you mean "replicas"?',
  ],
  [
    'a subject with a wildcard',
    { cluster: { node: 'a', nats: { ...NATS, subject: 'bans.>' } }, streams: { peers: PEERS } },
    'cluster.nats.subject: "bans.>" is not valid here: letters, digits, "_" and "-" only',
  ],
  [
    'a send line with a line break',
    {
      cluster: { node: 'a', nats: NATS },
      streams: {
        ssh: {
          ...SSH,
          filters: {
            f: {
              regex: ['fail <ip>'],
              actions: { s: { type: 'cluster', options: { send: 'a\n<ip>' } } },
            },
          },
        },
      },
    },
    'streams.ssh.filters.f.actions.s.options.send: a line cannot hold a line break',
  ],
];

for (const [name, config, error] of BROKEN) {
  test(`loadConfig() reports ${name}`, async () => {
    assert.deepEqual(await errors(config), [error]);
  });
}

/** The warnings about the `cluster` key of a configuration that loads. */
async function warnings(config: object): Promise<string[]> {
  const loaded = await load(config);
  assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
  return loaded.warnings.map((w) => w.message).filter((m) => m.startsWith('cluster'));
}

const CLUSTER = { node: 'web1', nats: NATS };
const LOG = {
  cmd: ['tail'],
  filters: { f: { regex: ['x <ip>'], actions: { a: { cmd: ['true'] } } } },
};

test('loadConfig() warns of a cluster key that no stream or action uses', async () => {
  assert.deepEqual(await warnings({ cluster: CLUSTER, streams: { log: LOG } }), [
    'cluster: no stream or action of type "cluster" uses it: riposte will not connect',
  ]);
});

test('loadConfig() does not warn of a cluster that only receives, or only sends', async () => {
  assert.deepEqual(await warnings({ cluster: CLUSTER, streams: { peers: PEERS } }), []);
  // The one cluster action among other streams, filters and actions.
  const ssh = {
    ...SSH,
    filters: {
      e: LOG.filters.f,
      f: { ...SSH.filters.f, actions: { log: { cmd: ['true'] }, ...SSH.filters.f.actions } },
    },
  };
  assert.deepEqual(await warnings({ cluster: CLUSTER, streams: { log: LOG, ssh } }), []);
});

/** The max_age of a cluster whose cluster stream's filter `banned` has `filter`'s keys. */
async function maxAge(filter: object, nats: object = {}, streams: object = {}) {
  const banned = { ...PEERS.filters.banned, ...filter };
  const peers = { ...PEERS, filters: { banned } };
  const loaded = await load({
    cluster: { node: 'web1', nats: { ...NATS, ...nats } },
    streams: { peers, ...streams },
  });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.message).join('\n'));
  return loaded.config.cluster!.nats.maxAge;
}

test('loadConfig() keeps a max_age written, even one shorter than the bans', async () => {
  assert.equal(await maxAge({}, { max_age: '2h' }), 2 * 3_600_000);
});

test('loadConfig() makes max_age a day at least, else the longest retryperiod plus delay', async () => {
  const unban = (after: string) => ({
    ban: { cmd: ['true'] },
    unban: { cmd: ['true'], after },
  });
  assert.equal(await maxAge({ actions: unban('1h') }), 86_400_000);
  const counted = { retry: 3, retryperiod: '2d', actions: unban('1d') };
  assert.equal(await maxAge(counted), 3 * 86_400_000);
  // Only the cluster stream's filters count: the others read no message.
  const long = { ...LOG, filters: { f: { ...LOG.filters.f, retry: 2, retryperiod: '30d' } } };
  assert.equal(await maxAge({ actions: unban('1h') }, {}, { log: long }), 86_400_000);
});
