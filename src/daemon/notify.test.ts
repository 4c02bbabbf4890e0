// Notifier on a unix datagram socket of the test's own (bound by a Python child): what it
// takes from the environment (and removes from it), and its messages through `systemd-notify`,
// the way they leave when the native helper is not built.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Notifier } from './notify.js';

const TOOLS = ['python3', 'systemd-notify'].filter(
  (tool) => spawnSync(tool, ['--version']).error !== undefined,
);
// .ci/run installs both: under CI=true their absence fails rather than skip unseen.
if (TOOLS.length > 0 && process.env['CI'] === 'true')
  throw new Error(`not installed: ${TOOLS.join(', ')}`);
const skip = TOOLS.length === 0 ? false : `not installed: ${TOOLS.join(', ')}`;

const dir = mkdtempSync(join(tmpdir(), 'riposte-notify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Binds a datagram socket at `path`; resolves with a function that waits for `count` messages. */
function listen(path: string): Promise<(count: number) => Promise<string[]>> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    's.bind(sys.argv[1])',
    "print('ready', flush=True)",
    'while True:',
    "    print(s.recv(65536).decode().replace('\\n', '|'), flush=True)",
  ].join('\n');
  const child = spawn('python3', ['-c', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  after(() => child.kill('SIGKILL'));
  const lines: string[] = [];
  const waiting: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    // systemd-notify follows each message with a BARRIER=1 of its own (sd_notify_barrier).
    lines.push(...text.split('\n').filter((l) => l !== '' && l !== 'BARRIER=1'));
    for (const wake of waiting.splice(0)) wake();
  });
  const until = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const look = () => (check() ? resolve() : waiting.push(look));
      look();
    });
  return until(() => lines[0] === 'ready').then(() => async (count: number) => {
    await until(() => lines.length > count);
    return lines.slice(1);
  });
}

test('fromEnvironment() takes the socket and half of WATCHDOG_USEC, and removes them', () => {
  const env = { NOTIFY_SOCKET: '@riposte-test', WATCHDOG_USEC: '60000000', KEEP: 'x' };
  const n = Notifier.fromEnvironment(env, () => undefined);
  assert.equal(n?.keepAlive, 30_000);
  assert.deepEqual(env, { KEEP: 'x' });
});

test('fromEnvironment(): no keep-alive for another WATCHDOG_PID, no notifier without a unix socket', () => {
  const other = { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '10000000', WATCHDOG_PID: '1' };
  assert.equal(Notifier.fromEnvironment(other, () => undefined)?.keepAlive, undefined);
  const mine = { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '10', WATCHDOG_PID: `${process.pid}` };
  assert.equal(Notifier.fromEnvironment(mine, () => undefined)?.keepAlive, 1);
  assert.equal(
    Notifier.fromEnvironment({ NOTIFY_SOCKET: 'tcp:1' }, () => undefined),
    undefined,
  );
  assert.equal(
    Notifier.fromEnvironment({}, () => undefined),
    undefined,
  );
});

test('without the native helper, messages leave through systemd-notify, in order', {
  skip,
  timeout: 30_000,
}, async () => {
  const path = join(dir, 'notify.sock');
  const received = await listen(path);
  const n = Notifier.fromEnvironment({ NOTIFY_SOCKET: path }, () => undefined);
  assert.ok(n !== undefined);
  await n.ready('1/1 stream(s) running');
  await n.reloading();
  await n.ready('2/2 stream(s) running');
  await n.stopping();
  await n.close();
  const got = await received(4);
  assert.equal(got[0], 'READY=1|STATUS=1/1 stream(s) running');
  assert.match(
    got[1] ?? '',
    /^RELOADING=1\|MONOTONIC_USEC=\d+\|STATUS=reloading the configuration$/,
  );
  assert.deepEqual(got.slice(2), [
    'READY=1|STATUS=2/2 stream(s) running',
    'STOPPING=1|STATUS=stopping',
  ]);
});
