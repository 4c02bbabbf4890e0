// Benchmark 3, trigger throughput: a stream cats N failure lines from N distinct addresses
// through the seed's filter with retry 1, so every line is a trigger, and each trigger runs
// an action that spawns `true` (default concurrency: one per CPU). The daemon exits by
// itself after the last action; its wall and CPU time (GNU time, children included) less
// those of a run with no line give the cost of N triggers. Measured at 1k, 5k and 20k
// addresses to see whether the cost per trigger stays flat as the state grows.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { MAIN, remove, repeatWithin, type Sample, scratch, spread, timed } from './measure.js';
import { number, type Row } from './report.js';
import { exitWall, GRACE, hungReason, STOPPED } from './riposte.js';
import { seedRegexes, writeConfig } from './seed.js';

const NAME = 'triggers';
/** Per-trigger cost at the largest size may be this many times that at the smallest: "flat". */
const FLAT = 1.5;

interface Measured {
  readonly n: number;
  readonly samples: Sample[];
  readonly triggers: number;
  readonly ran: number;
  /** Why runs did not exit by themselves, if any did not. */
  readonly hung: string[];
}

/** N lines "Failed password for root from 10.a.b.c", each address once. */
function failures(dir: string, n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`Nov  1 00:00:00 host sshd[1000]: Failed password for root from ${ip} port 22 ssh2`);
  }
  const file = join(dir, `failures-${n}.log`);
  writeFileSync(file, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  return file;
}

async function measure(
  n: number,
  runs: { max: number; budget: number },
  regex: string[],
): Promise<Measured> {
  const dir = scratch('triggers');
  const input = failures(dir, n);
  try {
    const samples = await repeatWithin(runs, async (i) => {
      const state = join(dir, `state-${i}`);
      const config = writeConfig({
        dir: state,
        cmd: ['cat', input],
        regex,
        retry: 1,
        actions: { ban: { cmd: ['true', '<ip>'] } },
      });
      return timed([process.execPath, MAIN, 'start', '-c', config, '-s', 'riposte.sock'], {
        cwd: dir,
        timeout: 900,
        stopAfter: { marker: STOPPED, grace: GRACE },
      });
    });
    const log = readFileSync(samples[0]!.stderrFile, 'utf8').split('\n');
    const triggers = log.filter((l) => /INFO +ssh\.failedlogin: trigger /.test(l)).length;
    const ran = log.filter((l) => /INFO +ssh\.failedlogin\.ban: run /.test(l)).length;
    const hung = samples
      .filter((s) => s.killed)
      .map((s) => hungReason(readFileSync(s.stderrFile, 'utf8').split('\n')));
    return { n, samples, triggers, ran, hung };
  } finally {
    remove(dir);
  }
}

function rowOf(m: Measured, base: Measured, perTrigger: number): Row {
  const baseWall = spread(base.samples.map((s) => exitWall(s))).median;
  const baseCpu = spread(base.samples.map((s) => s.cpu)).median;
  const rate = spread(m.samples.map((s) => m.n / Math.max(exitWall(s) - baseWall, 1e-9)));
  const cpuUs = spread(m.samples.map((s) => ((s.cpu - baseCpu) / m.n) * 1e6)).median;
  const check =
    m.triggers === m.n && m.ran === m.n
      ? `${number(m.n)} triggers and actions = expected`
      : `${number(m.triggers)} triggers, ${number(m.ran)} actions ≠ expected ${number(m.n)}`;
  const hung =
    m.hung.length === 0
      ? ''
      : `; ${m.hung.length} run(s) did NOT exit by themselves (wall taken at "stopped"): ${m.hung[0]}`;
  return {
    benchmark: NAME,
    tool: `riposte, ${number(m.n)} addresses`,
    metric: 'triggers/s',
    value: rate,
    target: '≥ 1,000 triggers/s',
    met: rate.median >= 1000,
    note: `${check}; ${number(perTrigger)} µs wall and ${number(cpuUs)} µs CPU per trigger (start-up and shutdown of an empty run, ${baseWall.toFixed(2)} s, taken off)${hung}`,
  };
}

export async function triggers(ctx: Context): Promise<Row[]> {
  const regex = await seedRegexes();
  const sizes = ctx.quick ? [200, 1000, 2000] : [1000, 5000, 20000];
  const runs = { max: ctx.runs.long, budget: ctx.budget };
  const base = await measure(0, runs, regex);
  const baseWall = spread(base.samples.map((s) => exitWall(s))).median;
  const measured: Measured[] = [];
  for (const n of sizes) measured.push(await measure(n, runs, regex));
  const perTrigger = measured.map(
    (m) => ((spread(m.samples.map((s) => exitWall(s))).median - baseWall) / m.n) * 1e6,
  );
  const rows = measured.map((m, i) => rowOf(m, base, perTrigger[i]!));
  const growth = perTrigger[perTrigger.length - 1]! / perTrigger[0]!;
  rows.push({
    benchmark: NAME,
    tool: `riposte, ${number(sizes[0]!)} → ${number(sizes[sizes.length - 1]!)}`,
    metric: '× cost per trigger',
    value: { median: growth, min: growth, max: growth, n: 1 },
    digits: 2,
    target: `flat (≤ ${FLAT}×)`,
    met: growth <= FLAT,
    note: 'wall µs per trigger at the largest size ÷ at the smallest',
  });
  return rows;
}
