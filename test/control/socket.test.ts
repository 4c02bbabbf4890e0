// Black-box tests of the control socket (behaviour §3, §4): its mode, garbage from clients,
// many clients at once, a stale socket after a crash, a live one never taken over, and the
// bounds on what clients can make the daemon hold or log.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import {
  type Config,
  type Daemon,
  type Fifo,
  MAIN,
  type Sandbox,
  sandbox,
  sleep,
  until,
} from '../daemon/harness.js';
import { config, exchange, populate, running } from './clients.js';

const SHOW = '{"v":1,"type":"show","selectors":[]}\n';

/** The error reply of the daemon, as one line. */
function refusal(error: string): string {
  return `${JSON.stringify({ v: 1, ok: false, error })}\n`;
}

test('the socket is created with mode 0600', async (t) => {
  const { sb } = await running(t);
  const info = lstatSync(sb.socket);
  assert.ok(info.isSocket());
  assert.equal(info.mode & 0o777, 0o600);
});

test('garbage on the socket gets an error reply, and the daemon goes on answering', async (t) => {
  const { sb, daemon } = await running(t);
  const unsupported = (v: string) =>
    `unsupported protocol version ${v}: this daemon speaks version 1; use the riposte client of the same version`;
  const cases: [
    what: string,
    data: string | Buffer,
    then: 'end' | 'destroy' | 'keep',
    reply: string,
  ][] = [
    ['not JSON', 'hello\n', 'end', refusal('malformed request: not JSON')],
    ['binary', Buffer.from([0xff, 0xfe, 0, 1, 10]), 'end', refusal('malformed request: not JSON')],
    ['not an object', '[1,2]\n', 'end', refusal('malformed request: not a JSON object')],
    ['a wrong version', '{"v":2,"type":"show"}\n', 'end', refusal(unsupported('2'))],
    ['no version', '{"type":"show"}\n', 'end', refusal(unsupported('none'))],
    [
      'an unknown type',
      '{"v":1,"type":"banish"}\n',
      'end',
      refusal(
        'unknown request type "banish": expected show, flush, trigger, status, reload, ban, unban or why',
      ),
    ],
    [
      'a field of the wrong type',
      '{"v":1,"type":"trigger","stream":"s","filter":"failed","values":{"ip":1}}\n',
      'end',
      refusal('malformed request: "values.ip" must be a string'),
    ],
    [
      'half a line, then the end of the input',
      '{"v":1,"type":"sh',
      'end',
      refusal('incomplete request: the connection ended before a newline'),
    ],
    ['half a line, then a close', '{"v":1,"type":"sh', 'destroy', ''],
    [
      'a megabyte without a newline',
      'x'.repeat(1 << 20),
      'keep',
      refusal('request longer than 65536 bytes without a newline: closing'),
    ],
    [
      'garbage, then a request on the same connection',
      `nope\n${SHOW}`,
      'end',
      `${refusal('malformed request: not JSON')}{"v":1,"ok":true,"report":[],"down":[]}\n`,
    ],
  ];
  for (const [what, data, then, reply] of cases) {
    assert.equal(await exchange(sb.socket, data, then), reply, what);
  }
  assert.ok(daemon.running);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
});

test('100 clients at once each get their whole answer', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn } = await populate(sb, fifo, daemon);
  const one = (await exchange(sb.socket, SHOW, 'end')).trim();
  assert.match(one, /^\{"v":1,"ok":true,"report":\[/);
  const answers = await Promise.all(
    Array.from({ length: 100 }, () => exchange(sb.socket, SHOW, 'end')),
  );
  for (const answer of answers) assert.equal(answer, `${one}\n`);
  // And through the CLI, a few processes at once.
  const clis = await Promise.all(Array.from({ length: 8 }, () => sb.cli('show', '-f', 'json')));
  for (const r of clis) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).s.failed['192.0.2.1'].actions.unban, [unban]);
    assert.deepEqual(JSON.parse(r.stdout).s.login['user=eve ip=192.0.2.4'].actions.warn, [warn]);
  }
});

test('a stale socket left by a killed daemon is replaced at the next start', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  await daemon.crash();
  assert.ok(lstatSync(sb.socket).isSocket());
  assert.deepEqual(await sb.cli('show'), {
    code: 1,
    stdout: '',
    stderr: `riposte: cannot reach the daemon at ${sb.socket}: is it running? (give its socket with -s)\n`,
  });
  const again = await sb.started(config(sb, fifo));
  await again.waitLog(
    `INFO  control: removed the stale socket ${sb.socket} left by a daemon that did not stop cleanly`,
  );
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.equal(lstatSync(sb.socket).mode & 0o777, 0o600);
});

test('a second daemon on a live socket refuses to start, and the first goes on', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const second = sb.start(config(sb, fifo));
  assert.deepEqual(await second.waitExit(), { code: 1, signal: null });
  assert.match(
    second.log,
    new RegExp(
      `ERROR cannot listen on ${sb.socket}: another riposte daemon is running there \\(stop it, or give this one another socket with -s\\)\n$`,
    ),
  );
  assert.ok(daemon.running);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  // Stopping the first removes its socket.
  await daemon.stop();
  assert.throws(() => lstatSync(sb.socket), { code: 'ENOENT' });
});

test('a file that is not a socket at the socket path is left alone', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  writeFileSync(sb.socket, 'precious\n');
  const daemon = sb.start(config(sb, fifo));
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.match(
    daemon.log,
    new RegExp(
      `ERROR cannot listen on ${sb.socket}: a file that is not a socket is there; move it away\n$`,
    ),
  );
  assert.deepEqual(sb.lines('riposte.sock'), ['precious']);
});

/** A configuration whose stream s counts each "fail from <ip>" line, three needed to ban. */
function counting(sb: Sandbox, fifo: Fifo) {
  return {
    patterns: { ip: { type: 'ip' }, n: { regex: '[0-9]+' } },
    streams: {
      s: {
        cmd: ['cat', fifo.path],
        filters: {
          failed: {
            regex: ['fail from <ip>'],
            retry: 3,
            retryperiod: '1h',
            actions: { ban: { cmd: ['true'] } },
          },
          marker: sb.markerFilter(),
        },
      },
    },
  };
}

/** A daemon that logs only warnings (not a line per match), once it answers. */
async function quiet(sb: Sandbox, config: Config): Promise<Daemon> {
  const daemon = sb.start(config, { logLevel: 'WARN' });
  await until('the daemon to answer', daemon, () => (existsSync(sb.socket) ? true : undefined));
  return daemon;
}

/** `n` distinct addresses counted once each: a `show` then lists them all. */
async function counted(sb: Sandbox, fifo: Fifo, daemon: Daemon, n: number): Promise<void> {
  for (let from = 0; from < n; from += 10_000) {
    const lines = [];
    for (let i = from; i < Math.min(n, from + 10_000); i++)
      lines.push(`fail from 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    fifo.write(...lines);
  }
  await sb.mark(fifo, daemon);
}

/** Connections that connect and then send, and read, nothing; closed when the test ends. */
async function idle(t: TestContext, socket: string, n: number): Promise<Socket[]> {
  const opened = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((done) => {
          const connection = createConnection(socket, () => done(connection));
          connection.on('error', () => undefined);
        }),
    ),
  );
  t.after(() => {
    for (const connection of opened) connection.destroy();
  });
  return opened;
}

test('64 clients are served at once, the next wait for a place, and past 320 they are refused', async (t) => {
  const { sb, daemon } = await running(t);
  const held = await idle(t, sb.socket, 64);
  // The 65th waits, unread, until one of the 64 leaves.
  let answer = '';
  const waiting = createConnection(sb.socket, () => waiting.write(SHOW));
  waiting.setEncoding('utf8').on('data', (text: string) => {
    answer += text;
  });
  await sleep(500);
  assert.equal(answer, '');
  held[0]!.destroy();
  await until('the waiting client to be answered', daemon, () =>
    answer === '' ? undefined : true,
  );
  assert.equal(answer, '{"v":1,"ok":true,"report":[],"down":[]}\n');
  waiting.destroy();
  // 63 served and 256 waiting: the next is refused at once, with a reason.
  await idle(t, sb.socket, 1 + 256);
  const refused = refusal('320 clients are connected already: try again');
  assert.equal(await exchange(sb.socket, SHOW, 'keep'), refused);
  await daemon.waitLog('WARN  control: 320 clients are connected already: try again; refused one');
  assert.ok(daemon.running);
});

test('a client that reads nothing of its answer is disconnected after 10 s, with a log line', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await quiet(sb, counting(sb, fifo));
  // About 400 kB: more than the kernel holds for a client.
  await counted(sb, fifo, daemon, 20_000);
  const start = Date.now();
  const stalled = createConnection(sb.socket, () => stalled.write(SHOW));
  stalled.pause();
  stalled.on('error', () => undefined);
  await daemon.waitLog('WARN  control: a client read nothing of its answer for 10 s: disconnected');
  assert.ok(Date.now() - start >= 10_000);
  assert.equal((await sb.cli('status')).code, 0);
});

test('200 clients that ask without reading cannot make the daemon grow', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  await populate(sb, fifo, daemon);
  const before = daemon.peakRss();
  const clients: Socket[] = [];
  for (let i = 0; i < 200; i++) {
    const client = createConnection(sb.socket, () => client.write(SHOW.repeat(5000)));
    client.on('error', () => undefined);
    // Reads nothing: neither the answers nor the end of the connection.
    client.pause();
    clients.push(client);
  }
  t.after(() => {
    for (const client of clients) client.destroy();
  });
  await sleep(8000);
  // Answered as fast as they come, 200 × 5,000 answers of 400 bytes (with what each write
  // costs) pile up: 100 MB in about 5 s here. Bounded, the daemon holds a few per client.
  const grown = (daemon.peakRss() - before) / 1024;
  assert.ok(grown < 100, `the daemon grew by ${grown.toFixed(0)} MB`);
  // They hold every place: the next client would wait for them to be dropped.
  for (const client of clients) client.destroy();
  assert.equal((await sb.cli('status')).code, 0);
});

test('a show of 100,000 matches reaches a client that reads it', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await quiet(sb, counting(sb, fifo));
  await counted(sb, fifo, daemon, 100_000);
  // The CLI itself, with room for what it prints.
  const show = promisify(execFile);
  const { stdout } = await show(process.execPath, [MAIN, 'show', '-f', 'json', '-s', sb.socket], {
    maxBuffer: 64 << 20,
  });
  assert.ok(stdout.length > 4_000_000, `${stdout.length} bytes`);
  assert.equal(Object.keys(JSON.parse(stdout).s.failed).length, 100_000);
});

test('malformed requests are logged five times, however many come', async (t) => {
  const { sb, daemon } = await running(t);
  const answers = await exchange(sb.socket, 'nope\n'.repeat(10_000), 'end');
  assert.equal(answers, refusal('malformed request: not JSON').repeat(10_000));
  for (let i = 0; i < 20; i++) await exchange(sb.socket, '[1]\n', 'end');
  await sb.cli('show');
  assert.equal(daemon.logLines('WARN  control: malformed request').length, 5);
  assert.ok(daemon.running);
});
