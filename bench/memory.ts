// Benchmark 5, memory: RSS of the daemon (from /proc, VmRSS) with the demo configuration
// (examples/demo, run from a copy so that its state stays out of the repository) beside an
// idle `node -e` started at the same moment, 5 s after start and once idle (30 s after start:
// V8 gives back the garbage of start-up only once the process has been quiet for several
// seconds); loaded with 100k counted matches and 100k pending actions (memory-load.ts), with
// the bytes each adds; and a flood of 1M distinct addresses, before, at its peak and once
// its counts have expired.

import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { type Flood, floodOnce, type Held, loadedOnce, perItem, SETTLE_MS } from './memory-load.js';
import { nodeFloor } from './node-floor.js';
import { memoryOf, ROOT, remove, repeatWithin, scratch, sleep, spread } from './measure.js';
import { number, type Row } from './report.js';
import { Daemon } from './riposte.js';

const NAME = 'memory';
const EARLY_MS = 5000;
const IDLE_AFTER_MS = 30_000;
/** What riposte may add to an idle Node, and the whole: the performance issue's budget. */
const IDLE_TARGET_MB = 50;
const OWN_TARGET_MB = 10;
/** After a flood has expired, the RSS is "back" when within this factor of the one before. */
const BACK_WITHIN = 1.25;

interface Idle {
  readonly early: number;
  readonly rss: number;
  readonly node: number;
  /** Node with riposte's dependencies loaded and a state file open (node-floor.ts). */
  readonly floor: number;
  readonly bytes: number;
  readonly killed: boolean;
}

function idleNode(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1e9)'], { stdio: 'ignore' });
}

async function idleOnce(): Promise<Idle> {
  const dir = scratch('memory-idle');
  cpSync(join(ROOT, 'examples/demo'), join(dir, 'examples/demo'), { recursive: true });
  const node = idleNode();
  const f = nodeFloor(dir, true);
  const floor = spawn(f.argv[0]!, f.argv.slice(1), { cwd: f.cwd, stdio: 'ignore' });
  try {
    const d = new Daemon(join(dir, 'examples/demo/riposte.yml'), dir, { cwd: dir });
    await sleep(EARLY_MS);
    const early = d.memory().rss;
    await sleep(IDLE_AFTER_MS - EARLY_MS);
    const rss = d.memory().rss;
    const nodeRss = memoryOf(node.pid!).rss;
    const floorRss = memoryOf(floor.pid!).rss;
    const bytes = (await d.status())?.streams['ssh']?.bytes ?? Number.NaN;
    const { killed } = await d.stop();
    return { early, rss, node: nodeRss, floor: floorRss, bytes, killed };
  } finally {
    node.kill();
    floor.kill();
    remove(dir);
  }
}

function stopNote(runs: readonly { killed: boolean }[]): string {
  const killed = runs.filter((r) => r.killed).length;
  return killed === 0 ? '' : `; ${killed} run(s) did NOT stop on SIGTERM within 30 s`;
}

function idleRows(idle: readonly Idle[]): Row[] {
  const early = spread(idle.map((x) => x.early));
  const rss = spread(idle.map((x) => x.rss));
  const node = spread(idle.map((x) => x.node));
  const floor = spread(idle.map((x) => x.floor));
  const own = spread(idle.map((x) => x.rss - x.node));
  const at = `${IDLE_AFTER_MS / 1000} s after start`;
  return [
    {
      benchmark: NAME,
      tool: 'riposte, demo config, 5 s after start',
      metric: 'MB RSS',
      value: early,
      note: 'the garbage of start-up not yet given back; for information',
    },
    {
      benchmark: NAME,
      tool: 'node -e, idle (reference)',
      metric: 'MB RSS',
      value: node,
      note: `started with each riposte run below, read at the same moment (${at})`,
    },
    {
      benchmark: NAME,
      tool: "node + riposte's dependencies, idle (reference)",
      metric: 'MB RSS',
      value: floor,
      digits: 1,
      note: `yaml, commander and better-sqlite3 loaded, a state file open in WAL mode, nothing of riposte: the floor of this design; read at the same moment (${at})`,
    },
    {
      benchmark: NAME,
      tool: 'riposte, demo config, idle',
      metric: 'MB RSS',
      value: rss,
      digits: 1,
      target: `≤ ${IDLE_TARGET_MB} MB`,
      met: rss.median <= IDLE_TARGET_MB,
      note: `${at}; ${number(idle[0]!.bytes)} bytes read by then${stopNote(idle)}`,
    },
    {
      benchmark: NAME,
      tool: 'riposte − node -e, idle',
      metric: 'MB RSS',
      value: own,
      digits: 1,
      target: `≤ ${OWN_TARGET_MB} MB`,
      met: own.median <= OWN_TARGET_MB,
      note: 'what riposte adds to an idle Node, per run',
    },
  ];
}

type Loaded = Awaited<ReturnType<typeof loadedOnce>>;

function loadedNote(runs: readonly Loaded[]): string {
  const all = runs.flatMap((r) => [r.none, r.counts, r.pending, r.both]);
  const reached = all.every((x) => x.reached) ? 'state reached' : 'state NOT reached in time';
  return `${reached}, then ${SETTLE_MS / 1000} s quiet${stopNote(all)}`;
}

function itemRow(kind: 'count' | 'pending', n: number, runs: readonly Loaded[]): Row {
  const pick = (r: Loaded): Held => (kind === 'count' ? r.counts : r.pending);
  const items = runs.map((r) => perItem(pick(r), r.none, n));
  const rss = spread(items.map((x) => x.rss));
  return {
    benchmark: NAME,
    tool: kind === 'count' ? 'riposte, per counted match' : 'riposte, per pending action',
    metric: 'bytes RSS',
    value: rss,
    // The loaded state's budget (150 MB) less an idle daemon (50 MB), over 2 × 100k items.
    target: '≤ 500 B',
    met: rss.median <= 500,
    note: `${number(n)} of them against a daemon holding none, side by side; heap ${number(spread(items.map((x) => x.heap)).median)} bytes each`,
  };
}

function loadedRows(n: number, runs: readonly Loaded[]): Row[] {
  const quiet = spread(runs.map((r) => r.both.rss));
  const peak = spread(runs.map((r) => r.both.hwm));
  const full = n >= 100_000;
  const what = `riposte, ${number(n)} counts + ${number(n)} pending`;
  return [
    {
      benchmark: NAME,
      tool: `${what}, quiet`,
      metric: 'MB RSS',
      value: quiet,
      ...(full ? { target: '≤ 150 MB', met: quiet.median <= 150 } : {}),
      note: loadedNote(runs),
    },
    {
      benchmark: NAME,
      tool: `${what}, peak`,
      metric: 'MB VmHWM',
      value: peak,
      ...(full ? { target: '≤ 200 MB', met: peak.median <= 200 } : {}),
      note: 'the highest RSS while the lines were read and the state stored',
    },
    itemRow('count', n, runs),
    itemRow('pending', n, runs),
  ];
}

function floodRows(n: number, f: Flood): Row[] {
  const what = `riposte, flood of ${number(n)} addresses`;
  const one = (v: number) => spread([v]);
  const stop = stopNote([f]);
  const mb = (bytes: number) => number(bytes / 1e6, 1);
  return [
    {
      benchmark: NAME,
      tool: `${what}, before`,
      metric: 'MB RSS',
      value: one(f.before),
      note: `idle, ${IDLE_AFTER_MS / 1000} s after start; heap ${mb(f.heapBefore)} MB`,
    },
    {
      benchmark: NAME,
      tool: `${what}, peak`,
      metric: 'MB VmHWM',
      value: one(f.peak),
      note: `each address seen once (retry 5): ${number(((f.peak - f.before) * 1024 * 1024) / n)} bytes per count at the peak`,
    },
    {
      benchmark: NAME,
      tool: `${what}, expired`,
      metric: 'MB RSS',
      value: one(f.after),
      target: `≤ ${BACK_WITHIN} × before`,
      met: f.ok && f.after <= BACK_WITHIN * f.before,
      note: `${f.ok ? `counts gone ${f.expiry.toFixed(0)} s after the last line` : 'the flood was NOT read, or its counts did NOT expire, in time'}, read ${SETTLE_MS / 1000} s later; heap ${mb(f.heapAfter)} MB used of ${mb(f.heapTotalAfter)} MB V8 holds: the rest of the RSS is outside the JavaScript heap${stop}`,
    },
  ];
}

export async function memory(ctx: Context): Promise<Row[]> {
  const runs = { max: ctx.runs.long, budget: ctx.budget };
  const idle = await repeatWithin(runs, () => idleOnce());
  const n = ctx.quick ? 10_000 : 100_000;
  const loaded = await repeatWithin(runs, () => loadedOnce(n));
  const floodSize = ctx.quick ? 100_000 : 1_000_000;
  const flood = await floodOnce(floodSize);
  return [...idleRows(idle), ...loadedRows(n, loaded), ...floodRows(floodSize, flood)];
}
