// Benchmark 1, offline matching: how many lines per second each tool searches with the first
// seed's 4 ssh regexes, on the same genlog file in the same run, and whether the counts agree.
// riposte: bench/replay.ts (config loader, line splitter, filter.match; no daemon).
// fail2ban-regex: the same 4 regexes as a fail2ban filter (bench/fail2ban/filter.d).
// sshguard: its parser sshg-parser on stdin (its own built-in sshd grammar, not our regexes).
// GNU grep -cE: the 4 regexes in ERE, in a UTF-8 locale (riposte decodes UTF-8 too) and,
// for information, in the C locale (bytes, much faster).
// Every tool is a process of its own, timed from spawn to exit, start-up included.

import { join } from 'node:path';
import type { Context } from './context.js';
import { BENCH_SRC, ROOT, repeat, type Sample, spreadOf, timed } from './measure.js';
import { number, type Row, times } from './report.js';

const NAME = 'matching';
const IP_ERE = '(([0-9]{1,3}\\.){3}[0-9]{1,3}|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7})';
/** The seed's regexes with <ip> as an IPv4|IPv6 ERE. */
export const GREP_REGEXES = [
  `authentication failure;.*rhost=${IP_ERE}`,
  `Failed password for .* from ${IP_ERE}`,
  `Invalid user .* from ${IP_ERE}`,
  `banner exchange: Connection from ${IP_ERE} port [0-9]*: invalid format`,
];

interface Measured {
  readonly samples: Sample[];
  readonly count: number;
  readonly lines: number;
}

export async function matching(ctx: Context): Promise<Row[]> {
  const riposte = await measureRiposte(ctx);
  const rows: Row[] = [riposteRow(ctx, riposte), await steadyRow(ctx, riposte)];
  const perSecond = rate(riposte);
  rows.push(...(await fail2banRows(ctx, perSecond)));
  rows.push(...(await sshguardRows(ctx, perSecond)));
  rows.push(...(await grepRows(ctx, perSecond)));
  return rows;
}

function rate(m: Measured): number {
  return spreadOf(m.samples, (s) => m.lines / s.wall).median;
}

function agrees(ctx: Context, count: number, what: string): string {
  const expected = ctx.expected.failures;
  return count === expected
    ? `${number(count)} ${what} = expected`
    : `${number(count)} ${what} ≠ expected ${number(expected)}`;
}

async function measureRiposte(ctx: Context): Promise<Measured> {
  const replay = join(ROOT, 'dist/bench/replay.js');
  const config = join(BENCH_SRC, 'configs/ssh.yml');
  const samples = await repeat(ctx.runs.short, () =>
    timed([process.execPath, replay, config, ctx.input]),
  );
  const out = JSON.parse(samples[0]!.stdout) as { bytes: number; matches: number };
  return { samples, count: out.matches, lines: ctx.expected.lines };
}

function riposteRow(ctx: Context, m: Measured): Row {
  return {
    benchmark: NAME,
    tool: 'riposte replay',
    metric: 'lines/s',
    value: spreadOf(m.samples, (s) => m.lines / s.wall),
    note: `${agrees(ctx, m.count, 'matches')}; ${number(m.lines)} lines; peak RSS ${number(m.samples[0]!.rssMb)} MB`,
  };
}

/**
 * The same runs with Node's start-up and the configuration's loading taken off (the time of
 * a run on an empty file): the speed of the matching itself, for information. The targets are
 * judged on whole runs, start-up included, as for the other tools.
 */
async function steadyRow(ctx: Context, m: Measured): Promise<Row> {
  const replay = join(ROOT, 'dist/bench/replay.js');
  const config = join(BENCH_SRC, 'configs/ssh.yml');
  const empty = await repeat(ctx.runs.short, () =>
    timed([process.execPath, replay, config, '/dev/null']),
  );
  const startup = spreadOf(empty, (s) => s.wall).median;
  return {
    benchmark: NAME,
    tool: 'riposte replay, start-up excluded',
    metric: 'lines/s',
    value: spreadOf(m.samples, (s) => m.lines / Math.max(s.wall - startup, 1e-3)),
    note: `start-up and configuration ${(startup * 1000).toFixed(0)} ms (run on an empty file) taken off each run; for information`,
  };
}

function referenceRow(
  m: Measured,
  riposte: number,
  row: Omit<Row, 'benchmark' | 'metric' | 'value'> & { short: string },
): Row {
  const value = spreadOf(m.samples, (s) => m.lines / s.wall);
  const { short, ...rest } = row;
  const ratio = times(riposte / value.median, `riposte ÷ ${short}`);
  return { benchmark: NAME, metric: 'lines/s', value, ratio, ...rest };
}

function missing(tool: string): Row {
  return {
    benchmark: NAME,
    tool,
    metric: 'lines/s',
    value: { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 },
    note: 'not installed: run bench/install-tools.sh (Debian packages fail2ban, sshguard)',
  };
}

async function fail2banRows(ctx: Context, riposte: number): Promise<Row[]> {
  const program = ctx.tools.fail2banRegex;
  if (program === undefined) return [missing('fail2ban-regex')];
  const filter = join(BENCH_SRC, 'fail2ban/filter.d/riposte-ssh.conf');
  const samples = await repeat(ctx.runs.long, () =>
    timed([program, '--print-no-missed', ctx.input, filter]),
  );
  const found = /Lines: (\d+) lines, (\d+) ignored, (\d+) matched/.exec(samples[0]!.stdout);
  const m = { samples, lines: Number(found?.[1]), count: Number(found?.[3]) };
  const ratio = riposte / rate(m);
  return [
    referenceRow(m, riposte, {
      tool: 'fail2ban-regex',
      short: 'fail2ban-regex',
      target: '≥ 100×',
      met: ratio >= 100,
      note: `${agrees(ctx, m.count, 'matches')}; whole file; same 4 regexes, explicit datepattern`,
    }),
  ];
}

async function sshguardRows(ctx: Context, riposte: number): Promise<Row[]> {
  const program = ctx.tools.sshgParser;
  if (program === undefined) return [missing('sshg-parser')];
  const samples = await repeat(ctx.runs.short, () =>
    timed(['sh', '-c', `"${program}" | wc -l`], { stdin: ctx.input }),
  );
  const m = { samples, lines: ctx.expected.lines, count: Number(samples[0]!.stdout.trim()) };
  return [
    referenceRow(m, riposte, {
      tool: 'sshg-parser (sshguard)',
      short: 'sshg-parser',
      note: `${number(m.count)} attacks reported: its own sshd grammar, not the seed's regexes (it counts "Connection closed … [preauth]" and skips the pam and banner lines), so the count differs by design`,
    }),
  ];
}

async function grepRows(ctx: Context, riposte: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const locale of ['C.UTF-8', 'C']) {
    const args = GREP_REGEXES.flatMap((r) => ['-e', r]);
    const env = { ...process.env, LC_ALL: locale };
    const samples = await repeat(ctx.runs.short, () =>
      timed(['grep', '-cE', ...args, ctx.input], { env }),
    );
    const m = { samples, lines: ctx.expected.lines, count: Number(samples[0]!.stdout.trim()) };
    const utf8 = locale !== 'C';
    const ratio = riposte / rate(m);
    rows.push(
      referenceRow(m, riposte, {
        tool: `grep -cE (LC_ALL=${locale})`,
        short: 'grep',
        ...(utf8 ? { target: '≥ 0.5×', met: ratio >= 0.5 } : {}),
        note: `${agrees(ctx, m.count, 'lines')}${utf8 ? '' : '; bytes, no UTF-8 decoding: for information'}`,
      }),
    );
  }
  return rows;
}
