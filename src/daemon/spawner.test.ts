// Checks the spawner helper and its client end to end: results, signals, process groups,
// stderr tails, framing in both directions, the fd layout, the helper's own death and end
// of input, and its notifications to unix datagram sockets (systemd's notify protocol).
// Builds build/riposte-spawner first if it is missing.

import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ResultDecoder, Spawner, type SpawnResult, startFrame } from './spawner.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HELPER = join(ROOT, 'build', 'riposte-spawner');
const TIMEOUT = { timeout: 20_000 };

let spawner: Spawner;
let dir: string;

before(() => {
  if (!existsSync(HELPER)) execFileSync(process.execPath, [join(ROOT, 'scripts/build-native.mjs')]);
  const started = Spawner.start();
  assert.ok(started, `${HELPER} should be built and executable`);
  spawner = started;
  dir = mkdtempSync(join(tmpdir(), 'riposte-spawner-'));
});

after(async () => {
  await spawner.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(argv: readonly string[], on = spawner): Promise<SpawnResult> {
  return new Promise((resolve) => on.run(argv, resolve));
}

async function waitFor(what: string, ready: () => boolean): Promise<void> {
  const until = Date.now() + 5000;
  while (!ready()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Alive and not a zombie: a zombie whose parent is not reaping still has a /proc entry. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('run() reports the exit code of an action', TIMEOUT, async () => {
  const rows: readonly (readonly [argv: readonly string[], status: number])[] = [
    [['true'], 0],
    [['false'], 1],
    [['sh', '-c', 'exit 7'], 7],
    [['sh', '-c', 'exit 255'], 255],
  ];
  for (const [argv, status] of rows) {
    assert.deepEqual(await run(argv), { status, signal: undefined, error: undefined, stderr: '' });
  }
});

test('run() reports the signal that ended an action', TIMEOUT, async () => {
  for (const signal of ['SIGTERM', 'SIGKILL', 'SIGSEGV']) {
    const result = await run(['sh', '-c', `kill -${signal.slice(3)} $$`]);
    assert.deepEqual(result, { status: undefined, signal, error: undefined, stderr: '' });
  }
});

test('run() reports a program that is not on PATH as "program not found"', TIMEOUT, async () => {
  const result = await run(['riposte-no-such-program', 'x']);
  assert.deepEqual(result, {
    status: undefined,
    signal: undefined,
    error: 'program not found',
    stderr: '',
  });
});

test('run() refuses an empty argv and a NUL byte in an argument', TIMEOUT, async () => {
  const error = 'empty argv or NUL byte in an argument';
  assert.equal((await run([])).error, error);
  assert.equal((await run(['echo', 'a\0b'])).error, error);
});

test('run() keeps the last 2048 bytes of stderr', TIMEOUT, async () => {
  const script =
    'i=0; while [ $i -lt 300 ]; do echo "line $i" >&2; i=$((i+1)); done; printf END >&2';
  let written = '';
  for (let i = 0; i < 300; i++) written += `line ${i}\n`;
  const result = await run(['sh', '-c', script]);
  assert.equal(result.stderr, `${written}END`.slice(-2048));
  assert.equal(result.status, 0);
});

test('run() passes arguments byte-exact', TIMEOUT, async () => {
  const file = join(dir, 'argv');
  const args = ['a b  c', `"double" 'single' \\ $HOME \`x\``, 'é✓🎉 中文', '', '\t\n', '-n'];
  const result = await run(['sh', '-c', 'printf "%s\\0" "$@" > "$0"', file, ...args]);
  assert.equal(result.status, 0);
  assert.deepEqual(readFileSync(file, 'utf8').split('\0').slice(0, -1), args);
});

test('kill() signals the whole process group of a running action', TIMEOUT, async () => {
  const file = join(dir, 'background-pid');
  let id = 0;
  const ended = new Promise<SpawnResult>((resolve) => {
    id = spawner.run(['sh', '-c', 'sleep 100 & echo $! > "$0"; sleep 100', file], resolve);
  });
  await waitFor('the background pid', () => existsSync(file) && readFileSync(file, 'utf8') !== '');
  const background = Number(readFileSync(file, 'utf8'));
  assert.ok(alive(background));
  spawner.kill(id, 'SIGTERM');
  const result = await ended;
  assert.equal(result.signal, 'SIGTERM');
  await waitFor('the background sleep to die', () => !alive(background));
});

test('kill() of an action already reported does nothing', TIMEOUT, async () => {
  let id = 0;
  await new Promise((resolve) => {
    id = spawner.run(['true'], resolve);
  });
  spawner.kill(id, 'SIGKILL');
  spawner.kill(123_456_789, 'SIGKILL');
  assert.equal((await run(['true'])).status, 0);
});

test('run() reports each of 500 concurrent actions exactly once', TIMEOUT, async () => {
  const reported = new Map<number, number>();
  const statuses = new Map<number, number | undefined>();
  const all = new Promise<void>((resolve) => {
    for (let i = 0; i < 500; i++) {
      const id = spawner.run(['sh', '-c', `exit ${i % 256}`], (result) => {
        reported.set(id, (reported.get(id) ?? 0) + 1);
        statuses.set(id, result.status);
        if (reported.size === 500) resolve();
      });
      statuses.set(id, i % 256);
    }
  });
  const expected = new Map(statuses);
  await all;
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual([...new Set(reported.values())], [1]);
  assert.deepEqual(statuses, expected);
});

test(
  'run() reports an action whose grandchild keeps stderr open, and the grandchild lives on',
  TIMEOUT,
  async () => {
    const file = join(dir, 'grandchild');
    const script = 'echo bye >&2; (sleep 0.5; echo late >&2; echo alive > "$0") &';
    const result = await run(['sh', '-c', script, file]);
    // Reported before the grandchild wrote "late", which it then does without SIGPIPE.
    assert.deepEqual(result, { status: 0, signal: undefined, error: undefined, stderr: 'bye\n' });
    await waitFor(
      'the grandchild to write its file',
      () => existsSync(file) && readFileSync(file, 'utf8') === 'alive\n',
    );
  },
);

test('run() refuses a request over 1 MiB and goes on with the next', TIMEOUT, async () => {
  const result = await run(['echo', 'x'.repeat(1 << 20)]);
  assert.equal(result.error, 'argument list too long');
  const many = await run(['true', ...Array.from({ length: 300_000 }, () => '')]);
  assert.equal(many.error, 'argument list too long');
  assert.equal((await run(['true'])).status, 0);
});

test("an action's stdout reaches the stdout of riposte (the helper's fd 3)", TIMEOUT, () => {
  const module = new URL('./spawner.js', import.meta.url).href;
  const script = `
    import { Spawner } from '${module}';
    const spawner = Spawner.start();
    spawner.run(['sh', '-c', 'echo action-out; echo action-err >&2'], (result) => {
      console.log('result ' + JSON.stringify(result));
    });
    await spawner.close();`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(out, 'action-out\nresult {"status":0,"stderr":"action-err\\n"}\n');
});

test('close() lets a running action finish and report', TIMEOUT, async () => {
  const own = Spawner.start()!;
  const file = join(dir, 'finished');
  const result = run(['sh', '-c', 'sleep 0.3; echo done > "$0"', file], own);
  await own.close();
  assert.equal((await result).status, 0);
  assert.equal(readFileSync(file, 'utf8'), 'done\n');
  assert.equal((await run(['true'], own)).error, 'spawner closed');
});

test('a helper that dies fails the actions in flight and every later run', TIMEOUT, async () => {
  const own = Spawner.start()!;
  const result = run(['sleep', '1'], own);
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(own.pid!, 'SIGKILL');
  assert.equal((await result).error, 'spawner exited');
  assert.equal(own.dead, true);
  assert.equal((await run(['true'], own)).error, 'spawner exited');
  await own.close();
});

test('the helper ignores SIGTERM: only the end of its input ends it', TIMEOUT, async () => {
  const own = Spawner.start()!;
  const running = run(['sleep', '0.2'], own);
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.kill(own.pid!, 'SIGTERM');
  assert.equal((await running).status, 0);
  assert.equal((await run(['true'], own)).status, 0);
  await own.close();
  assert.equal(own.dead, true);
});

test('start() returns undefined when the helper is absent or not executable', () => {
  assert.equal(Spawner.start(join(dir, 'absent')), undefined);
  const plain = join(dir, 'plain');
  writeFileSync(plain, '');
  chmodSync(plain, 0o644);
  assert.equal(Spawner.start(plain), undefined);
  assert.equal(Spawner.start(dir), undefined);
});

// The helper driven by hand: bytes in, frames out, exit status.

function startHelper(): { child: ChildProcess; output: Promise<Buffer>; code: Promise<number> } {
  const child = spawn(HELPER, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { child, output: code.then(() => Buffer.concat(chunks)), code };
}

function decodeAll(bytes: Buffer): [id: number, status: number, stderr: string][] {
  const frames: [number, number, string][] = [];
  assert.ok(new ResultDecoder((...frame) => frames.push(frame)).push(bytes));
  return frames;
}

test('the helper reads a request frame split across writes', TIMEOUT, async () => {
  const helper = startHelper();
  const frame = startFrame(42, ['sh', '-c', 'echo split >&2; exit 3']);
  for (const byte of frame) {
    helper.child.stdin!.write(Buffer.of(byte));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  helper.child.stdin!.end();
  assert.deepEqual(decodeAll(await helper.output), [[42, 3, 'split\n']]);
});

test('the helper exits 0 at end of input and still reports a running action', TIMEOUT, async () => {
  const helper = startHelper();
  const file = join(dir, 'after-eof');
  helper.child.stdin!.end(startFrame(7, ['sh', '-c', 'sleep 0.3; echo done > "$0"', file]));
  assert.equal(await helper.code, 0);
  assert.deepEqual(decodeAll(await helper.output), [[7, 0, '']]);
  assert.equal(readFileSync(file, 'utf8'), 'done\n');
});

test(
  'the helper exits 1 on an unknown frame type, after its running actions',
  TIMEOUT,
  async () => {
    const helper = startHelper();
    helper.child.stdin!.write(Buffer.concat([startFrame(1, ['sleep', '0.2']), Buffer.from('?')]));
    assert.equal(await helper.code, 1);
    assert.deepEqual(decodeAll(await helper.output), [[1, 0, '']]);
    helper.child.stdin!.destroy();
  },
);

test('ResultDecoder cuts frames split across chunks at any byte', () => {
  const frame = (id: number, status: number, stderr: string): Buffer => {
    const text = Buffer.from(stderr);
    const head = Buffer.alloc(13);
    head[0] = 0x58;
    head.writeUInt32LE(id, 1);
    head.writeInt32LE(status, 5);
    head.writeUInt32LE(text.length, 9);
    return Buffer.concat([head, text]);
  };
  const stream = Buffer.concat([frame(1, 0, ''), frame(2, 1009, 'é✓'), frame(3, 2002, 'x')]);
  for (let size = 1; size <= stream.length; size++) {
    const frames: unknown[] = [];
    const decoder = new ResultDecoder((...f) => frames.push(f));
    for (let pos = 0; pos < stream.length; pos += size) {
      assert.ok(decoder.push(stream.subarray(pos, pos + size)));
    }
    assert.deepEqual(frames, [
      [1, 0, ''],
      [2, 1009, 'é✓'],
      [3, 2002, 'x'],
    ]);
  }
  assert.equal(new ResultDecoder(() => {}).push(Buffer.alloc(20)), false);
});

/** A unix datagram socket bound by a Python child at `address` (a path, or "@name"); what it received. */
async function receiver(address: string): Promise<{ messages: string[]; close: () => void }> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    'a = sys.argv[1]',
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('ready', flush=True)",
    'while True:',
    "    print(s.recv(65536).decode().replace('\\n', '|'), flush=True)",
  ].join('\n');
  const child = spawn('python3', ['-c', script, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    messages.push(...lines);
  });
  await waitFor('the receiver to bind its socket', () => messages[0] === 'ready');
  messages.shift();
  return { messages, close: () => child.kill('SIGKILL') };
}

function notify(address: string, message: string): Promise<string | undefined> {
  return new Promise((resolve) => spawner.notify(address, message, resolve));
}

test('notify() sends one datagram to a unix socket path, in order', TIMEOUT, async () => {
  const address = join(dir, 'notify.sock');
  const r = await receiver(address);
  try {
    assert.equal(await notify(address, 'READY=1\nSTATUS=up'), undefined);
    assert.equal(await notify(address, 'WATCHDOG=1'), undefined);
    await waitFor('two datagrams', () => r.messages.length === 2);
    assert.deepEqual(r.messages, ['READY=1|STATUS=up', 'WATCHDOG=1']);
  } finally {
    r.close();
  }
});

test('notify() sends to an abstract socket named with "@"', TIMEOUT, async () => {
  const address = `@riposte-test-${process.pid}`;
  const r = await receiver(address);
  try {
    assert.equal(await notify(address, 'STOPPING=1'), undefined);
    await waitFor('a datagram', () => r.messages.length === 1);
    assert.deepEqual(r.messages, ['STOPPING=1']);
  } finally {
    r.close();
  }
});

test(
  'notify() reports why a datagram could not be sent, and actions still run',
  TIMEOUT,
  async () => {
    assert.equal(await notify(join(dir, 'nobody.sock'), 'READY=1'), 'ENOENT');
    assert.equal(await notify('relative.sock', 'READY=1'), 'EAFNOSUPPORT');
    assert.equal((await run(['true'])).status, 0);
  },
);
