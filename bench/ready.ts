// Start-up with the demo configuration: `riposte start` to READY=1 on a notify socket of the
// benchmark's own (a Python child reads the datagrams, as systemd would), and to the first
// status answer; the client commands `--version` and `show`, each beside `node -e 0` timed in
// the same run. Receives the number of runs; sends the rows of benchmark 4.

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MAIN, ROOT, remove, repeat, scratch, sleep, spread, timed } from './measure.js';
import { nodeFloor } from './node-floor.js';
import { number, type Row } from './report.js';
import { Daemon } from './riposte.js';

const NAME = 'restart';
const READY_TARGET_MS = 300;
const CLIENT_TARGET_MS = 100;

/** Prints "ready" once bound, then a line for each datagram that says READY=1. */
const RECEIVER = [
  'import socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(sys.argv[1])',
  'print("bound", flush=True)',
  'while True:',
  '    if b"READY=1" in s.recv(65536).split(b"\\n"): print("READY", flush=True)',
].join('\n');

interface Started {
  readonly ready: number;
  readonly answer: number;
  readonly version: number;
  readonly show: number;
  readonly node: number;
  /** Node loading riposte's dependencies and opening a state file (node-floor.ts). */
  readonly deps: number;
  readonly showOk: boolean;
}

function receiver(address: string): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn('python3', ['-c', RECEIVER, address], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

async function startOnce(): Promise<Started> {
  const dir = scratch('ready');
  cpSync(join(ROOT, 'examples/demo'), join(dir, 'examples/demo'), { recursive: true });
  const notify = receiver(join(dir, 'notify.sock'));
  try {
    await notify.lines.next();
    const env = { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock') };
    const d = new Daemon(join(dir, 'examples/demo/riposte.yml'), dir, { cwd: dir, env });
    const ready = Promise.race([
      notify.lines.next().then(() => performance.now() - d.started),
      sleep(30_000).then(() => Number.NaN),
    ]);
    const answered = await d.waitFor(() => true, { timeout: 30, every: 5 });
    const answer = answered === undefined ? Number.NaN : performance.now() - d.started;
    const readyMs = await ready;
    const version = await timed([process.execPath, MAIN, '--version']);
    const show = await timed([process.execPath, MAIN, 'show', '-s', d.socket]);
    const node = await timed([process.execPath, '-e', '0']);
    const floor = nodeFloor(dir, false);
    const deps = await timed(floor.argv, { cwd: floor.cwd });
    await d.stop();
    return {
      ready: readyMs,
      answer,
      version: version.wall * 1000,
      show: show.wall * 1000,
      node: node.wall * 1000,
      deps: deps.wall * 1000,
      showOk: show.status === 0,
    };
  } finally {
    notify.child.kill();
    remove(dir);
  }
}

function msRow(tool: string, values: readonly number[], target: number, note: string): Row {
  const value = spread(values);
  return {
    benchmark: NAME,
    tool,
    metric: 'ms',
    value,
    target: `≤ ${target} ms`,
    met: value.median <= target,
    note,
  };
}

export async function demoStart(runs: number): Promise<Row[]> {
  const s = await repeat(runs, () => startOnce());
  const node = spread(s.map((x) => x.node)).median;
  const deps = spread(s.map((x) => x.deps)).median;
  const reference = `node -e 0 in the same runs: ${number(node)} ms`;
  const floor = `${reference}; node loading yaml, commander and better-sqlite3 and opening a state file: ${number(deps)} ms`;
  return [
    msRow(
      'riposte start, demo config, to READY=1',
      s.map((x) => x.ready),
      READY_TARGET_MS,
      `first status answer after ${number(spread(s.map((x) => x.answer)).median)} ms; ${floor}`,
    ),
    msRow(
      'riposte --version',
      s.map((x) => x.version),
      CLIENT_TARGET_MS,
      reference,
    ),
    msRow(
      'riposte show, demo daemon',
      s.map((x) => x.show),
      CLIENT_TARGET_MS,
      `${s.every((x) => x.showOk) ? 'exit status 0' : 'a run did NOT exit with 0'}; ${reference}`,
    ),
  ];
}
