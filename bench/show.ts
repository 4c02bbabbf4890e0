// How long `show` takes on a large state: starts the real daemon on a stream that prints
// 100k distinct addresses twice-counted (100k counts) and 100k one-shot bans with a pending
// unban (100k pending actions), then times the request on the socket and the whole CLI.
// Run: node_modules/.bin/tsc && node dist/bench/show.js [N]

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const N = Number(process.argv[2] ?? 100_000);
const MAIN = resolve(import.meta.dirname, '../src/main.js');

const LOAD = `
const out = [];
const ip = (a, i) => a + '.' + ((i >> 16) & 255) + '.' + ((i >> 8) & 255) + '.' + (i & 255);
for (let i = 0; i < ${N}; i++) out.push('fail ' + ip(10, i), 'ban ' + ip(11, i));
process.stdout.write(out.join('\\n') + '\\n');
setInterval(() => {}, 1e9);
`;

function config(dir: string): string {
  const path = join(dir, 'riposte.json');
  writeFileSync(
    path,
    JSON.stringify({
      patterns: { ip: { type: 'ip' } },
      streams: {
        load: {
          cmd: [process.execPath, '-e', LOAD],
          filters: {
            count: {
              regex: ['^fail <ip>$'],
              retry: 2,
              retryperiod: '1h',
              actions: { ban: { cmd: ['true'] } },
            },
            ban: { regex: ['^ban <ip>$'], actions: { unban: { cmd: ['true'], after: '1h' } } },
          },
        },
      },
      state_directory: dir,
    }),
  );
  return path;
}

function ask(socket: string, request: object): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    const c = createConnection(socket, () => c.write(`${JSON.stringify(request)}\n`));
    c.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(10)) {
        c.destroy();
        done(Buffer.concat(chunks).toString('utf8'));
      }
    });
    c.on('error', fail);
  });
}

async function waitLoaded(socket: string): Promise<void> {
  for (;;) {
    try {
      const { status } = JSON.parse(await ask(socket, { v: 1, type: 'status' }));
      process.stderr.write(`\rmatches ${status.matches}, pending ${status.pending}   `);
      if (status.matches >= N && status.pending >= N) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write('\n');
}

/** CPU time of the children reaped so far, in ms (/proc/self/stat cutime + cstime). */
function childrenCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/** Runs the CLI; prints its wall time and its CPU time (what a busy machine inflates less). */
function cli(label: string, args: string[]): void {
  const cpu = childrenCpu();
  const start = performance.now();
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const wall = performance.now() - start;
  if (r.status !== 0) throw new Error(`riposte ${args.join(' ')}: exit status ${r.status}`);
  console.log(`${label}: ${wall.toFixed(0)} ms wall, ${(childrenCpu() - cpu).toFixed(0)} ms CPU`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-bench-'));
  const socket = join(dir, 'riposte.sock');
  const daemon: ChildProcess = spawn(
    process.execPath,
    [MAIN, 'start', '-c', config(dir), '-s', socket, '-l', 'WARN'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  try {
    await waitLoaded(socket);
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const text = await ask(socket, { v: 1, type: 'show', selectors: [] });
      const ms = performance.now() - start;
      console.log(
        `socket round trip, show (${(text.length / 1e6).toFixed(1)} MB): ${ms.toFixed(0)} ms`,
      );
    }
    for (const format of ['json', 'yaml']) {
      for (let i = 0; i < 3; i++) {
        cli(`riposte show -f ${format} > /dev/null`, ['show', '-s', socket, '-f', format]);
      }
    }
    cli('riposte show -l load.count ip=10\\.0\\.0\\..*', [
      'show',
      '-s',
      socket,
      '-l',
      'load.count',
      'ip=10\\.0\\.0\\..*',
    ]);
    cli('riposte --version (start-up of the CLI alone)', ['--version']);
  } finally {
    // SIGTERM, so that the daemon stops its stream (in a process group of its own) too.
    const exited = new Promise((done) => daemon.once('close', done));
    daemon.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
