// Black-box tests of systemd's notify protocol through the real daemon, with a unix datagram
// socket of the test's own (bound by a Python child) named by NOTIFY_SOCKET: READY=1 once
// start-up is over, RELOADING=1 and READY=1 around a reload, WATCHDOG=1 at half of
// WATCHDOG_USEC, STOPPING=1 at shutdown, and no NOTIFY_SOCKET for the actions.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { missing } from '../tools.js';
import { type Config, type Sandbox, sandbox, until } from './harness.js';

const skip = missing(['python3']);

/** A datagram received: when (ms since the epoch), its fields, and whether `marker` existed then. */
interface Received {
  readonly at: number;
  readonly fields: readonly string[];
  readonly marked: boolean;
}

/** Binds a unix datagram socket at `address` ("@name" for an abstract one); collects what comes. */
async function listen(t: TestContext, address: string, marker: string): Promise<Received[]> {
  const script = [
    'import os, socket, sys, time',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    'a = sys.argv[1]',
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('ready', flush=True)",
    'while True:',
    '    d = s.recv(65536).decode()',
    "    print(int(time.time() * 1000), int(os.path.exists(sys.argv[2])), d.replace('\\n', '|'), flush=True)",
  ].join('\n');
  const child: ChildProcess = spawn('python3', ['-c', script, address, marker], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const received: Received[] = [];
  let ready = false;
  let rest = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') ready = true;
      const [at, marked, ...message] = line.split(' ');
      if (message.length > 0)
        received.push({
          at: Number(at),
          marked: marked === '1',
          fields: message.join(' ').split('|'),
        });
    }
  });
  await until('the test socket to be bound', undefined, () => (ready ? true : undefined));
  return received;
}

function config(sb: Sandbox, extra: Config = {}): Config {
  sb.script(
    'env-of',
    'printf "NOTIFY_SOCKET=%s WATCHDOG_USEC=%s\\n" "$NOTIFY_SOCKET" "$WATCHDOG_USEC" >> "$1"',
  );
  return sb.fifoConfig(
    {
      f: {
        regex: ['fail <ip>'],
        actions: { env: { cmd: [sb.path('env-of'), sb.path('env.log')] } },
      },
    },
    extra,
  );
}

const kinds = (received: readonly Received[]) =>
  received.map((r) =>
    r.fields.filter((f) => !f.startsWith('STATUS=') && !f.startsWith('MONOTONIC_USEC=')).join('|'),
  );

test('READY=1 comes once start-up is over, STOPPING=1 at shutdown; actions get no NOTIFY_SOCKET', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const address = sb.path('notify.sock');
  const started = sb.path('start-commands-done');
  const received = await listen(t, address, started);
  sb.script('slow-start', `sleep 0.5; touch "${started}"`);
  const daemon = await sb.started(config(sb, { start: [[sb.path('slow-start')]] }), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: '60000000' },
  });
  await until('READY=1', daemon, () => received.find((r) => r.fields.includes('READY=1')));
  const ready = received.find((r) => r.fields.includes('READY=1'))!;
  assert.equal(ready.marked, true, 'READY=1 came before the start commands were over');
  assert.match(
    ready.fields.find((f) => f.startsWith('STATUS=')) ?? '',
    /^STATUS=1\/1 stream\(s\) running, 0 trigger\(s\), 0 pending action\(s\)$/,
  );
  input.write('fail 1.2.3.4');
  await daemon.waitFile('env.log', 1);
  assert.deepEqual(sb.lines('env.log'), ['NOTIFY_SOCKET= WATCHDOG_USEC=']);
  await daemon.stop();
  await until('STOPPING=1', daemon, () =>
    kinds(received).includes('STOPPING=1') ? true : undefined,
  );
  assert.deepEqual(kinds(received), ['READY=1', 'STOPPING=1']);
});

test('RELOADING=1 with MONOTONIC_USEC, then READY=1, frame a reload, applied or not', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const address = `@riposte-test-${process.pid}-${Date.now()}`;
  const received = await listen(t, address, sb.path('none'));
  const daemon = await sb.started(config(sb), { env: { NOTIFY_SOCKET: address } });
  await until('READY=1', daemon, () => (kinds(received).includes('READY=1') ? true : undefined));
  sb.writeConfig(config(sb, { concurrency: 2 }));
  assert.equal((await sb.cli('reload')).code, 0);
  sb.writeConfig(config(sb, { concurrency: 'two' }));
  assert.equal((await sb.cli('reload')).code, 1);
  await until('the second reload', daemon, () => (kinds(received).length >= 5 ? true : undefined));
  assert.deepEqual(kinds(received), [
    'READY=1',
    'RELOADING=1',
    'READY=1',
    'RELOADING=1',
    'READY=1',
  ]);
  const reloading = received.find((r) => r.fields.includes('RELOADING=1'))!;
  const usec = reloading.fields.find((f) => f.startsWith('MONOTONIC_USEC='));
  assert.match(usec ?? '', /^MONOTONIC_USEC=\d+$/);
  // CLOCK_MONOTONIC of this machine, in µs, as systemd reads it: the same clock as Node's hrtime.
  const now = process.hrtime.bigint() / 1000n;
  const sent = BigInt(usec!.slice('MONOTONIC_USEC='.length));
  assert.ok(sent <= now && now - sent < 60_000_000n, `${sent} vs ${now}`);
});

test('WATCHDOG=1 comes at half of WATCHDOG_USEC, never faster, and not for another pid', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const address = sb.path('notify.sock');
  const received = await listen(t, address, sb.path('none'));
  const daemon = await sb.started(config(sb), {
    env: { NOTIFY_SOCKET: address, WATCHDOG_USEC: '400000' },
  });
  const first = await until('a keep-alive', daemon, () =>
    received.find((r) => r.fields.includes('WATCHDOG=1')),
  );
  await until('five keep-alives', daemon, () =>
    received.filter((r) => r.fields.includes('WATCHDOG=1')).length >= 5 ? true : undefined,
  );
  const times = received.filter((r) => r.fields.includes('WATCHDOG=1')).map((r) => r.at);
  // Every 200 ms, never faster: a timer never fires early (a busy machine may make it late,
  // which the deadline absorbs); over the run, so that one datagram delivered late is no matter.
  const span = times.at(-1)! - first.at;
  assert.ok(span >= (times.length - 1) * 190, `${times.length} keep-alives in ${span} ms`);
  const other = sandbox(t);
  other.fifo();
  const quiet = await listen(t, other.path('notify.sock'), other.path('none'));
  const watched = await other.started(config(other), {
    env: { NOTIFY_SOCKET: other.path('notify.sock'), WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' },
  });
  await until('READY=1', watched, () => (kinds(quiet).includes('READY=1') ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.deepEqual(kinds(quiet), ['READY=1']);
});
