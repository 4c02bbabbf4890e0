// Steady-state matching: CPU per line once start-up no longer counts, on 10 M genlog lines
// (1 GB; 1 M with --quick). riposte's matching path (replay.ts) beside the floor of its
// design (literal-floor.ts: read, decode, indexOf of the same literals), ripgrep and GNU grep
// -E in the C locale with the same regexes, sshguard's parser; the daemon end to end
// (stream → filter → counts, no trigger reached, default log level) beside fail2ban-server.
// Figures are lines per CPU-second (user + system of the whole process tree).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../src/lib/which.js';
import type { Context } from './context.js';
import { expectedOf } from './context.js';
import { VARIANTS, type Variant } from './daemon.js';
import { runFail2ban } from './fail2ban.js';
import { GREP_REGEXES } from './matching.js';
import {
  BENCH_SRC,
  genlog,
  MAIN,
  remove,
  repeat,
  ROOT,
  type Sample,
  scratch,
  spreadOf,
  timed,
} from './measure.js';
import { profiled } from './profile.js';
import { number, type Row, times } from './report.js';
import { GRACE, STOPPED } from './riposte.js';
import { seedLiterals, seedRegexes, writeConfig } from './seed.js';

const NAME = 'steady';
/** More failures than any genlog address has: the daemon counts and never triggers. */
const NEVER = 1_000_000;
const TRIGGER = /INFO +ssh\.failedlogin: trigger /g;

interface Figures {
  readonly lines: number;
  readonly failures: number;
  /** Per address floor(failures / 3) (bench/expected.py). */
  readonly triggers: number;
  readonly input: string;
}

export async function steady(ctx: Context): Promise<Row[]> {
  const input = genlog(ctx.quick ? 1_000_000 : 10_000_000);
  const expected = expectedOf(input, 3);
  const f: Figures = {
    lines: expected.lines,
    failures: expected.failures,
    triggers: expected.triggers,
    input,
  };
  const n = ctx.runs.long;
  const replay = await replayRow(f, n);
  const rate = replay.value.median;
  const rows = [replay, await floorRow(f, n, rate)];
  rows.push(...(await grepRows(f, n, rate)), await sshguardRow(ctx, f, rate));
  const counting = await daemonRow(f, n, {
    tool: 'riposte start (stream → filter → counts)',
    retry: NEVER,
    variant: VARIANTS[1]!,
    target: 5e6,
  });
  const seed = await daemonRow(f, n, {
    tool: "riposte start (the seed's filter, triggers)",
    retry: 3,
    variant: VARIANTS[1]!,
  });
  rows.push(counting, seed, await fail2banRow(ctx, counting.value.median));
  return rows;
}

function perCpu(samples: readonly Sample[], lines: number) {
  return spreadOf(samples, (s) => lines / Math.max(s.cpu, 1e-3));
}

function row(tool: string, samples: readonly Sample[], f: Figures, rest: Partial<Row>): Row {
  return {
    benchmark: NAME,
    tool,
    metric: 'lines per CPU s',
    value: perCpu(samples, f.lines),
    ...rest,
  };
}

function compared(value: number, riposte: number, short: string): string {
  return times(riposte / value, `riposte ÷ ${short}`);
}

async function replayRow(f: Figures, n: number): Promise<Row> {
  const argv = [
    process.execPath,
    join(ROOT, 'dist/bench/replay.js'),
    join(BENCH_SRC, 'configs/ssh.yml'),
    f.input,
  ];
  const samples = await repeat(n, () => timed(argv));
  const matches = outputOf<{ matches: number }>(samples[0]!, argv).matches;
  const rate = perCpu(samples, f.lines).median;
  const agrees = matches === f.failures ? '= expected' : `≠ expected ${number(f.failures)}`;
  const wall = spreadOf(samples, (s) => s.wall).median;
  const note = `${number(matches)} matches ${agrees}; ${number(f.lines)} lines, start-up included; wall ${wall.toFixed(2)} s`;
  const met = rate >= 8e6;
  const profile = met ? '' : `; profile: ${await profiled(argv)}`;
  return row('riposte replay (matching path)', samples, f, {
    target: '≥ 8,000,000',
    met,
    note: note + profile,
  });
}

async function floorRow(f: Figures, n: number, riposte: number): Promise<Row> {
  const literals = await seedLiterals();
  const argv = [process.execPath, join(ROOT, 'dist/bench/literal-floor.js'), f.input, ...literals];
  const samples = await repeat(n, () => timed(argv));
  const value = perCpu(samples, f.lines).median;
  const hits = outputOf<{ hits: number }>(samples[0]!, argv).hits;
  return row('literal floor (read, decode, indexOf)', samples, f, {
    ratio: compared(value, riposte, 'floor'),
    target: '≥ 0.67× (within 1.5×)',
    met: riposte / value >= 1 / 1.5,
    note: `the ${literals.length} literals riposte searches for (${literals.map((l) => JSON.stringify(l)).join(', ')}): ${number(hits)} hits; no regex run`,
  });
}

async function grepRows(f: Figures, n: number, riposte: number): Promise<Row[]> {
  const args = GREP_REGEXES.flatMap((r) => ['-e', r]);
  const rows: Row[] = [];
  const rg = which('rg');
  const tools: [string, string[], NodeJS.ProcessEnv][] = [
    ['grep -cE (LC_ALL=C)', ['grep', '-cE', ...args, f.input], { ...process.env, LC_ALL: 'C' }],
  ];
  if (rg !== undefined)
    tools.unshift(['ripgrep (rg -c)', [rg, '-c', ...args, f.input], process.env]);
  for (const [tool, argv, env] of tools) {
    const samples = await repeat(n, () => timed(argv, { env }));
    const count = Number(samples[0]!.stdout.trim());
    const value = perCpu(samples, f.lines).median;
    const agrees = count === f.failures ? '= expected' : `≠ expected ${number(f.failures)}`;
    rows.push(
      row(tool, samples, f, {
        ratio: compared(value, riposte, tool.split(' ')[0]!),
        note: `${number(count)} lines ${agrees}; same 4 regexes, <ip> as an IPv4|IPv6 ERE`,
      }),
    );
  }
  if (rg === undefined)
    rows.unshift({
      benchmark: NAME,
      tool: 'ripgrep',
      metric: 'lines per CPU s',
      value: nothing(),
      note: 'not installed (Debian package ripgrep)',
    });
  return rows;
}

async function sshguardRow(ctx: Context, f: Figures, riposte: number): Promise<Row> {
  const program = ctx.tools.sshgParser;
  if (program === undefined)
    return {
      benchmark: NAME,
      tool: 'sshg-parser (sshguard)',
      metric: 'lines per CPU s',
      value: nothing(),
      note: 'not installed: run bench/install-tools.sh',
    };
  const samples = await repeat(1, () =>
    timed(['sh', '-c', `"${program}" >/dev/null`], { stdin: f.input }),
  );
  const value = perCpu(samples, f.lines).median;
  const s = samples[0]!;
  if (s.status !== 0 || s.cpu === 0) {
    const why = `failed: exit status ${s.status}, ${s.cpu} CPU s: ${readFileSync(s.stderrFile, 'utf8').slice(0, 200)}`;
    return {
      benchmark: NAME,
      tool: 'sshg-parser (sshguard)',
      metric: 'lines per CPU s',
      value: nothing(),
      note: why,
    };
  }
  return row('sshg-parser (sshguard)', samples, f, {
    ratio: compared(value, riposte, 'sshg-parser'),
    note: 'its own built-in sshd grammar, on stdin',
  });
}

/** What a run of `riposte start` counts to: matches only, or the seed's triggers and actions. */
interface Setup {
  readonly tool: string;
  readonly retry: number;
  readonly variant: Variant;
  readonly target?: number;
}

/** One run of `riposte start` on the file; `profile` runs it under --cpu-prof instead. */
async function startOnce(
  f: Figures,
  setup: Setup,
  profile: boolean,
): Promise<{ sample?: Sample; profile?: string }> {
  const dir = scratch('steady');
  try {
    const config = writeConfig({
      dir,
      cmd: ['cat', f.input],
      regex: await seedRegexes(),
      retry: setup.retry,
      retryperiod: '6h',
      actions: setup.variant.actions,
      ...(setup.variant.streams === undefined ? {} : { streams: setup.variant.streams }),
    });
    const argv = [process.execPath, MAIN, 'start', '-c', config, '-s', 'riposte.sock'];
    const options = { cwd: dir, timeout: 900, stopAfter: { marker: STOPPED, grace: GRACE } };
    if (profile) return { profile: await profiled(argv, options) };
    const sample = await timed(argv, options);
    const log = readFileSync(sample.stderrFile, 'utf8');
    return { sample: { ...sample, stdout: String(log.match(TRIGGER)?.length ?? 0) } };
  } finally {
    remove(dir);
  }
}

async function daemonRow(f: Figures, n: number, setup: Setup): Promise<Row> {
  const samples = await repeat(n, async () => (await startOnce(f, setup, false)).sample!);
  const value = perCpu(samples, f.lines).median;
  const killed = samples.filter((s) => s.killed).length;
  const wall = spreadOf(samples, (s) => s.wall).median;
  const triggers = Number(samples[0]!.stdout);
  const met = setup.target === undefined ? undefined : value >= setup.target;
  const profile = met !== false ? '' : `; profile: ${(await startOnce(f, setup, true)).profile}`;
  const expected =
    setup.retry === NEVER
      ? `retry ${number(NEVER)}, never reached (counts only): ${number(triggers)} triggers`
      : `retry ${setup.retry} in 6h, a virtual action per trigger: ${number(triggers)} triggers ${triggers === f.triggers ? '= expected' : `≠ expected ${number(f.triggers)}`}`;
  return row(setup.tool, samples, f, {
    ...(setup.target === undefined || met === undefined
      ? {}
      : { target: `≥ ${number(setup.target)}`, met }),
    note: `cat of the file as its stream, the seed's regexes, ${expected}; log level info (a line per match); CPU of riposte and cat; wall ${wall.toFixed(2)} s${killed > 0 ? `; ${killed} run(s) did NOT exit by themselves` : ''}${profile}`,
  });
}

async function fail2banRow(ctx: Context, riposte: number): Promise<Row> {
  const { fail2banServer: server, fail2banClient: client } = ctx.tools;
  const tool = 'fail2ban-server';
  if (server === undefined || client === undefined)
    return {
      benchmark: NAME,
      tool,
      metric: 'lines per CPU s',
      value: nothing(),
      note: 'not installed: run bench/install-tools.sh',
    };
  // fail2ban reads 1 M lines in about 20 CPU s: its start-up is lost in it, and 10 M would take minutes.
  const run = await runFail2ban(
    { server, client },
    { file: ctx.input, expected: ctx.expected.failures, timeout: 600 },
  );
  const value = ctx.expected.lines / run.cpu;
  return {
    benchmark: NAME,
    tool,
    metric: 'lines per CPU s',
    value: { median: value, min: value, max: value, n: 1 },
    ratio: times(riposte / value, 'riposte start ÷ fail2ban'),
    target: '≥ 100×',
    met: riposte / value >= 100,
    note: `on the suite's ${number(ctx.expected.lines)}-line file (its CPU until it had counted ${number(run.failed)} failures); same 4 regexes, an action that does nothing`,
  };
}

/** The JSON a bench script printed; its stderr when it failed. */
function outputOf<T>(sample: Sample, argv: readonly string[]): T {
  if (sample.status !== 0 || sample.stdout === '')
    throw new Error(
      `${argv.join(' ')} failed (status ${sample.status}): ${readFileSync(sample.stderrFile, 'utf8')}`,
    );
  return JSON.parse(sample.stdout) as T;
}

function nothing() {
  return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
}
