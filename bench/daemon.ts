// Benchmark 2, the daemon end to end: `riposte start` on a stream that cats the genlog file,
// with the first seed's filter (retry 3 in 6h) and an immediate action per trigger, in two
// variants: an action that spawns `true`, and a virtual action that spawns nothing. When
// cat ends the daemon shuts down by itself after its running actions, so the time to its
// exit is the time to the last action. Measured under GNU time: wall, CPU of the whole tree
// (daemon, cat, actions), peak RSS. Triggers are counted in the daemon's INFO log and checked
// against bench/expected.py (per address floor(failures / 3): every line is read within
// seconds, well inside 6h). Beside it, fail2ban-server on a copy of the same file with the
// same regexes and an action that does nothing (bench/fail2ban.ts): CPU per million lines.

import { readFileSync } from 'node:fs';
import type { Context } from './context.js';
import { type Fail2banRun, runFail2ban } from './fail2ban.js';
import {
  MAIN,
  remove,
  repeat,
  repeatWithin,
  type Sample,
  scratch,
  spreadOf,
  timed,
} from './measure.js';
import { number, type Row, times } from './report.js';
import { exitWall, GRACE, hungReason, STOPPED } from './riposte.js';
import { seedRegexes, writeConfig } from './seed.js';

const NAME = 'daemon';
const SOCKET = 'riposte.sock';

export interface Variant {
  readonly label: string;
  readonly actions: Readonly<Record<string, unknown>>;
  readonly streams?: Readonly<Record<string, unknown>>;
  /** What the log says once per action run. */
  readonly ran: RegExp;
}

export const VARIANTS: readonly Variant[] = [
  {
    label: 'riposte, action spawns true',
    actions: { ban: { cmd: ['true', '<ip>'] } },
    ran: /INFO +ssh\.failedlogin\.ban: run /,
  },
  {
    label: 'riposte, virtual action',
    actions: { ban: { type: 'virtual', options: { send: '<ip>', to: 'sink' } } },
    // The virtual stream needs a filter; this one never matches an address line.
    streams: {
      sink: {
        type: 'virtual',
        filters: { none: { regex: ['^never$'], actions: { none: { cmd: ['true'] } } } },
      },
    },
    ran: /INFO +ssh\.failedlogin\.ban: send /,
  },
];

interface DaemonRun {
  readonly sample: Sample;
  /** Seconds to the exit, or to the "stopped" log line when the process had to be killed. */
  readonly wall: number;
  /** What the log says after "stopped", when the process did not exit by itself. */
  readonly hung: string | undefined;
  readonly triggers: number;
  readonly ran: number;
  readonly errors: string[];
  readonly ended: boolean;
}

async function runRiposte(ctx: Context, variant: Variant, regex: string[]): Promise<DaemonRun> {
  const dir = scratch('daemon');
  try {
    const config = writeConfig({
      dir,
      cmd: ['cat', ctx.input],
      regex,
      retry: 3,
      retryperiod: '6h',
      actions: variant.actions,
      ...(variant.streams === undefined ? {} : { streams: variant.streams }),
    });
    const sample = await timed([process.execPath, MAIN, 'start', '-c', config, '-s', SOCKET], {
      cwd: dir,
      timeout: 900,
      stopAfter: { marker: STOPPED, grace: GRACE },
    });
    const log = readFileSync(sample.stderrFile, 'utf8').split('\n');
    return {
      sample,
      wall: exitWall(sample),
      hung: sample.killed ? hungReason(log) : undefined,
      triggers: log.filter((l) => /INFO +ssh\.failedlogin: trigger /.test(l)).length,
      ran: log.filter((l) => variant.ran.test(l)).length,
      errors: log.filter(
        (l) => / (ERROR|WARN) /.test(l) && !/ stream ssh: | every stream | config: /.test(l),
      ),
      ended: log.some((l) => l.includes('every stream has ended')),
    };
  } finally {
    remove(dir);
  }
}

function checks(ctx: Context, runs: readonly DaemonRun[]): string {
  const r = runs[0]!;
  const expected = ctx.expected.triggers;
  const parts = [
    r.triggers === expected
      ? `${number(r.triggers)} triggers = expected`
      : `${number(r.triggers)} triggers ≠ expected ${number(expected)}`,
    `${number(r.ran)} actions run`,
    r.ended ? 'exited by itself when cat ended' : 'did NOT report the end of its stream',
    `exit status ${r.sample.status}`,
    `wall ${spreadOf(runs, (x) => x.wall).median.toFixed(2)} s, CPU ${spreadOf(runs, (x) => x.sample.cpu).median.toFixed(2)} s`,
  ];
  const hung = runs.filter((x) => x.hung !== undefined);
  if (hung.length > 0)
    parts.push(
      `${hung.length} of ${runs.length} run(s) did NOT exit by itself (wall taken at "stopped"): ${hung[0]!.hung}`,
    );
  const bad = runs.filter((x) => x.triggers !== expected || x.ran !== x.triggers).length;
  if (bad > 0) parts.push(`${bad} run(s) with other counts`);
  if (r.errors.length > 0) parts.push(`${r.errors.length} WARN/ERROR lines, first: ${r.errors[0]}`);
  return parts.join('; ');
}

function riposteRows(
  ctx: Context,
  variant: Variant,
  runs: readonly DaemonRun[],
  fail2banCpu: number | undefined,
): Row[] {
  const lines = ctx.expected.lines;
  const perM = spreadOf(runs, (r) => (r.sample.cpu / lines) * 1e6);
  const ratio = fail2banCpu === undefined ? Number.NaN : fail2banCpu / perM.median;
  const rate = spreadOf(runs, (r) => lines / r.wall);
  const cpuTarget = variant.streams !== undefined;
  return [
    {
      benchmark: NAME,
      tool: variant.label,
      metric: 'lines/s to last action',
      value: rate,
      target: '≥ 1,000,000 lines/s',
      met: rate.median >= 1e6,
      note: checks(ctx, runs),
    },
    {
      benchmark: NAME,
      tool: variant.label,
      metric: 'CPU s per M lines',
      value: perM,
      digits: 2,
      ratio: times(ratio, 'fail2ban ÷ riposte'),
      ...(cpuTarget ? { target: '≥ 50×', met: ratio >= 50 } : {}),
      note: cpuTarget
        ? 'neither this nor fail2ban spawns a process per action'
        : `includes ${number(runs[0]!.ran)} spawns of true; fail2ban's action spawns nothing`,
    },
    {
      benchmark: NAME,
      tool: variant.label,
      metric: 'MB peak RSS',
      value: spreadOf(runs, (r) => r.sample.rssMb),
    },
  ];
}

async function fail2banRuns(ctx: Context): Promise<Fail2banRun[] | undefined> {
  const { fail2banServer: server, fail2banClient: client } = ctx.tools;
  if (server === undefined || client === undefined) return undefined;
  const expected = ctx.expected.failures;
  const timeout = ctx.quick ? 120 : 600;
  return repeat(ctx.runs.long, () =>
    runFail2ban({ server, client }, { file: ctx.input, expected, timeout }),
  );
}

function fail2banRows(ctx: Context, runs: Fail2banRun[] | undefined): Row[] {
  if (runs === undefined) {
    return [
      {
        benchmark: NAME,
        tool: 'fail2ban-server',
        metric: 'CPU s per M lines',
        value: { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 },
        note: 'not installed: run bench/install-tools.sh',
      },
    ];
  }
  const lines = ctx.expected.lines;
  const r = runs[0]!;
  const counted =
    r.failed === ctx.expected.failures
      ? `counted ${number(r.failed)} failures = expected`
      : `counted ${number(r.failed)} failures ≠ expected ${number(ctx.expected.failures)}`;
  return [
    {
      benchmark: NAME,
      tool: 'fail2ban-server',
      metric: 'CPU s per M lines',
      value: spreadOf(runs, (x) => (x.cpu / lines) * 1e6),
      digits: 2,
      note: `whole file of ${number(lines)} lines; ${counted}; ${number(r.banned)} bans; ${number(lines / r.wall)} lines/s (±0.7 s polling)${r.timedOut ? '; TIMED OUT' : ''}`,
    },
  ];
}

export async function daemon(ctx: Context): Promise<Row[]> {
  const regex = await seedRegexes();
  const f2b = await fail2banRuns(ctx);
  const f2bCpu =
    f2b === undefined ? undefined : spreadOf(f2b, (x) => (x.cpu / ctx.expected.lines) * 1e6).median;
  const rows: Row[] = [];
  for (const variant of VARIANTS) {
    const runs = await repeatWithin({ max: ctx.runs.long, budget: ctx.budget }, () =>
      runRiposte(ctx, variant, regex),
    );
    rows.push(...riposteRows(ctx, variant, runs, f2bCpu));
  }
  return [...rows, ...fail2banRows(ctx, f2b)];
}
