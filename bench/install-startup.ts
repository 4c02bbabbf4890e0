// Benchmark 7's start-up rows: the installed package's `/usr/bin/riposte start` on the default
// configuration, in a network namespace of its own (its nftables table must not reach this
// machine's firewall), timed from the spawn to the first answer of its control socket; cold
// after the page cache is dropped, then warm. Receives the context; sends rows.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../src/client/request.js';
import type { Context } from './context.js';
import { repeat, scratch, sleep, spread } from './measure.js';
import type { Row } from './report.js';

const NS = `riposte-bench-${process.pid}`;

/** Empties the page cache, so that a start reads its files from disk; false if not allowed. */
function dropCaches(): boolean {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

async function answers(socket: string): Promise<boolean> {
  try {
    return 'status' in (await request(socket, { v: 1, type: 'status' }));
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/** Seconds from spawning the installed riposte to its first status answer. */
async function startOnce(dir: string, cold: boolean): Promise<number> {
  const socket = join(dir, 'riposte.sock');
  if (cold) dropCaches();
  const start = performance.now();
  const child = spawn(
    'ip',
    ['netns', 'exec', NS, '/usr/bin/riposte', 'start', '-c', '/etc/riposte/', '-s', socket],
    {
      stdio: 'ignore',
    },
  );
  try {
    while (!(await answers(socket))) {
      if (child.exitCode !== null)
        throw new Error(`install: riposte exited with status ${child.exitCode}`);
      if (performance.now() - start > 60_000)
        throw new Error('install: riposte did not answer in 60 s');
      await sleep(5);
    }
    return (performance.now() - start) / 1000;
  } finally {
    await stop(child);
    rmSync(socket, { force: true });
  }
}

export async function startups(ctx: Context): Promise<Row[]> {
  if (spawnSync('ip', ['netns', 'add', NS]).status !== 0) {
    const note = 'not measured: ip netns add failed (the start-up runs in a namespace of its own)';
    return [
      { benchmark: 'install', tool: 'riposte .deb start', metric: '', value: spread([]), note },
    ];
  }
  const dir = scratch('startup');
  try {
    const droppable = dropCaches();
    const cold = await repeat(ctx.runs.short, () => startOnce(dir, droppable));
    const warm = await repeat(ctx.runs.short, () => startOnce(dir, false));
    const row = (tool: string, runs: number[], note: string): Row => ({
      benchmark: 'install',
      tool,
      metric: 's to first answer',
      value: spread(runs),
      digits: 3,
      note,
    });
    return [
      row(
        'riposte .deb start, cold',
        cold,
        droppable
          ? 'page cache dropped before each start (echo 3 > /proc/sys/vm/drop_caches); default configuration, in a network namespace'
          : 'page cache NOT dropped (/proc/sys/vm/drop_caches refused): not a cold start',
      ),
      row('riposte .deb start, warm', warm, 'the same, files in the page cache'),
    ];
  } finally {
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  }
}
