// Benchmark 4, restart: how long riposte takes from `start` to a control socket that answers
// with the whole state restored, with 0, 10k and 100k pending actions stored, and its RSS
// then; and first, start-up with the demo configuration and the client commands (ready.ts).
// The state is built once per size by a daemon whose stream prints N distinct addresses to a
// filter with retry 1 and one action `after: 1h` (no immediate action, so restoring re-runs
// nothing), stopped with SIGTERM (the action has no onexit: it stays pending). Each restart
// uses a stream that prints nothing, so the state is unchanged.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { remove, repeat, scratch, sleep, spread } from './measure.js';
import { number, type Row } from './report.js';
import { demoStart } from './ready.js';
import { Daemon } from './riposte.js';
import { seedRegexes, writeConfig } from './seed.js';

const NAME = 'restart';
const TARGET_S = 2;

interface Restarted {
  readonly ready: number;
  readonly firstAnswer: number;
  readonly rss: number;
  readonly pending: number;
  readonly started: number;
  /** Whether SIGTERM was not enough to stop the daemon. */
  readonly killed: boolean;
}

function addresses(dir: string, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`Nov  1 00:00:00 host sshd[1000]: Invalid user admin from ${ip} port 22`);
  }
  const file = join(dir, 'addresses.log');
  writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return file;
}

function config(dir: string, cmd: readonly string[], regex: readonly string[]): string {
  return writeConfig({
    dir,
    cmd,
    regex,
    retry: 1,
    actions: { unban: { cmd: ['true', '<ip>'], after: '1h' } },
  });
}

/** Runs a daemon until N actions are pending, then stops it; throws if it never gets there. */
async function buildState(dir: string, n: number, regex: readonly string[]): Promise<void> {
  const file = addresses(dir, n);
  const cmd = ['sh', '-c', `cat '${file}'; exec sleep 100000`];
  const d = new Daemon(config(dir, cmd, regex), dir);
  const s = await d.waitFor((x) => x.pending >= n && x.matches + x.pending >= n, {
    timeout: 900,
    every: 500,
  });
  const { killed } = await d.stop();
  if (s === undefined) throw new Error(`restart: the state never reached ${n} pending actions`);
  if (killed) throw new Error('restart: the daemon that built the state did not stop on SIGTERM');
}

async function restartOnce(dir: string, n: number, regex: readonly string[]): Promise<Restarted> {
  const d = new Daemon(config(dir, ['sleep', '100000'], regex), dir);
  let firstAnswer = Number.NaN;
  const s = await d.waitFor(
    (x) => {
      if (Number.isNaN(firstAnswer)) firstAnswer = (performance.now() - d.started) / 1000;
      return x.pending >= n;
    },
    { timeout: 300, every: 10 },
  );
  const ready = (performance.now() - d.started) / 1000;
  await sleep(200);
  const rss = d.memory().rss;
  const after = await d.status();
  const { killed } = await d.stop();
  return {
    killed,
    ready: s === undefined ? Number.NaN : ready,
    firstAnswer,
    rss,
    pending: after?.pending ?? Number.NaN,
    started: after?.actions.started ?? Number.NaN,
  };
}

function rowsOf(n: number, runs: readonly Restarted[]): Row[] {
  const ready = spread(runs.map((r) => r.ready));
  const r = runs[0]!;
  const check =
    r.pending === n && r.started === 0
      ? `${number(n)} pending restored, no action run`
      : `${number(r.pending)} pending ≠ ${number(n)} or ${number(r.started)} actions run`;
  const killed = runs.filter((x) => x.killed).length;
  const stop = killed === 0 ? '' : `; ${killed} run(s) did NOT stop on SIGTERM within 30 s`;
  return [
    {
      benchmark: NAME,
      tool: `riposte, ${number(n)} pending`,
      metric: 's to ready',
      value: ready,
      digits: 2,
      ...(n >= 100_000 ? { target: `≤ ${TARGET_S} s`, met: ready.median <= TARGET_S } : {}),
      note: `${check}; socket first answered after ${spread(runs.map((x) => x.firstAnswer)).median.toFixed(2)} s${stop}`,
    },
    {
      benchmark: NAME,
      tool: `riposte, ${number(n)} pending`,
      metric: 'MB RSS when ready',
      value: spread(runs.map((x) => x.rss)),
    },
  ];
}

export async function restart(ctx: Context): Promise<Row[]> {
  const regex = await seedRegexes();
  const sizes = ctx.quick ? [0, 1000, 10_000] : [0, 10_000, 100_000];
  const rows: Row[] = await demoStart(ctx.runs.short);
  for (const n of sizes) {
    const dir = scratch('restart');
    try {
      await buildState(dir, n, regex);
      const runs = await repeat(ctx.runs.short, () => restartOnce(dir, n, regex));
      rows.push(...rowsOf(n, runs));
    } finally {
      remove(dir);
    }
  }
  return rows;
}
