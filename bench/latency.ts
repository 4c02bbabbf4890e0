// Latency: the time from a line reaching riposte to its ban action starting, under a steady
// background of 10,000 lines/s of which 1 % are failed logins from addresses of their own
// (retry 1: each one bans, with an unban 48 h later). The stream is latency-feed.ts, which records when it wrote each
// failure; the daemon logs "run" when it starts the action (a spawned `true`), to the ms.
// Sends p50, p99 and max over the bans after the first second (start-up and JIT excluded).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { MAIN, remove, ROOT, repeat, type Sample, scratch, spread, timed } from './measure.js';
import { number, type Row } from './report.js';
import { GRACE, STOPPED } from './riposte.js';
import { seedRegexes, writeConfig } from './seed.js';

const NAME = 'latency';
const RATE = 10_000;
const EVERY = 100;
const RUN = /^(\S+) INFO +ssh\.failedlogin\.ban: run \["true","([^"]+)"\]/;
const MATCH = /^(\S+) INFO +ssh\.failedlogin: match (\S+)$/;

interface Measured {
  readonly latencies: number[];
  /** From the feed's write to the "match" log line: reading the pipe and matching. */
  readonly toMatch: number[];
  readonly sent: number;
  readonly sample: Sample;
}

async function once(seconds: number): Promise<Measured> {
  const dir = scratch('latency');
  try {
    const times = join(dir, 'sent.json');
    const feed = [process.execPath, join(ROOT, 'dist/bench/latency-feed.js')];
    const config = writeConfig({
      dir,
      cmd: [...feed, String(RATE), String(seconds), String(EVERY), times],
      regex: await seedRegexes(),
      retry: 1,
      // The usual pair: the ban waits for its trigger to be durable, as its unban is pending.
      actions: {
        ban: { cmd: ['true', '<ip>'] },
        unban: { cmd: ['true', 'unban', '<ip>'], after: '48h' },
      },
    });
    const sample = await timed([process.execPath, MAIN, 'start', '-c', config, '-s', 's.sock'], {
      cwd: dir,
      timeout: seconds + 120,
      stopAfter: { marker: STOPPED, grace: GRACE },
    });
    const sent = JSON.parse(readFileSync(times, 'utf8')) as Record<string, number>;
    const first = Math.min(...Object.values(sent));
    const latencies: number[] = [];
    const toMatch: number[] = [];
    const matched = new Map<string, number>();
    for (const l of readFileSync(sample.stderrFile, 'utf8').split('\n')) {
      const m = MATCH.exec(l);
      if (m !== null) matched.set(m[2]!, Date.parse(m[1]!));
      const r = RUN.exec(l);
      const at = r === null ? undefined : sent[r[2]!];
      if (at === undefined || at < first + 1000) continue;
      latencies.push(Date.parse(r![1]!) - at);
      toMatch.push((matched.get(r![2]!) ?? Number.NaN) - at);
    }
    return { latencies, toMatch, sent: Object.keys(sent).length, sample };
  } finally {
    remove(dir);
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export async function latency(ctx: Context): Promise<Row[]> {
  const seconds = ctx.quick ? 5 : 20;
  const runs = await repeat(ctx.runs.long, () => once(seconds));
  const at = (values: readonly number[], q: number) =>
    quantile(
      [...values].sort((a, b) => a - b),
      q,
    );
  const per = (q: number) => spread(runs.map((r) => at(r.latencies, q)));
  const split = spread(runs.map((r) => at(r.toMatch, 0.99))).median;
  const p99 = per(0.99);
  const counted = runs.map((r) => r.latencies.length);
  const cpu = spread(runs.map((r) => (100 * r.sample.cpu) / seconds)).median;
  const note = `${number(RATE)} lines/s for ${seconds} s, 1 in ${EVERY} a failure from an address of its own (retry 1), a spawned \`true\` per ban and an unban 48 h later, so that each ban waits for its trigger to be durable; ${counted.join(', ')} bans timed of ${number(runs[0]!.sent)} sent per run (the first second left out); from the feed's write to the daemon's "run" log line, whose time is to the ms (the figures may be up to 1 ms low); riposte and its actions used ${cpu.toFixed(0)} % of a core; p99 from the write to the "match" log line (reading and matching) ${split.toFixed(2)} ms, the rest is the trigger made durable (the store's grouped commit) and the spawn; the store commits on the event loop, so a slow sync of the disk delays the reading of the lines behind it too`;
  const row = (
    metric: string,
    value: ReturnType<typeof spread>,
    extra: Partial<Row> = {},
  ): Row => ({
    benchmark: NAME,
    tool: 'riposte, line to ban action start',
    metric,
    value,
    digits: 2,
    ...extra,
  });
  return [
    await commitRow(),
    row('ms p50', per(0.5)),
    row('ms p99', p99, { target: '≤ 5 ms', met: p99.median <= 5, note }),
    row('ms max', per(1)),
  ];
}

/** The commit a ban waits for, timed alone on the same disk in the same run. */
async function commitRow(): Promise<Row> {
  const dir = scratch('commit');
  try {
    const runs = await repeat(3, () =>
      timed([process.execPath, join(ROOT, 'dist/bench/commit-floor.js'), dir]),
    );
    const figures = runs.map(
      (r) => JSON.parse(r.stdout) as { p50: number; p99: number; max: number },
    );
    return {
      benchmark: NAME,
      tool: 'SQLite commit alone (WAL, synchronous FULL)',
      metric: 'ms p99',
      value: spread(figures.map((f) => f.p99)),
      digits: 2,
      note: `one small row per commit, 100 commits/s, on the disk of the daemon's state directory: p50 ${spread(figures.map((f) => f.p50)).median.toFixed(2)} ms, max ${spread(figures.map((f) => f.max)).median.toFixed(2)} ms; a trigger is durable before its ban runs, so this is in every ban's latency`,
    };
  } finally {
    remove(dir);
  }
}
