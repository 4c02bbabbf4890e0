// Benchmark 6, hostile lines: for each regex of the first seed's configuration and of the demo
// configuration, 64 KiB lines crafted to make a backtracking engine work (near misses of the
// regex repeated, its first literal followed by what its repetitions accept, long dotted or
// hex runs where the address goes; see bench/hostile-probe.ts), each timed through the
// filter's real match() many times. Per regex: the worst line's median time (GC pauses
// aside) with the spread of its runs, and in the note the median over the regex's lines and
// the slowest single run of any of them. A probe that
// runs past the time limit is killed and reported with the line it was on.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Context } from './context.js';
import type { Probe } from './hostile-probe.js';
import { ROOT, spread } from './measure.js';
import { number, type Row } from './report.js';
import { DEMO, SEED } from './seed.js';

const NAME = 'hostile';
const TARGET_MS = 10;
const TIMEOUT_S = 300;

type Event = Probe & { event: 'start' | 'done' };

function probe(config: string): Promise<{ events: Event[]; killed: boolean }> {
  const script = join(ROOT, 'dist/bench/hostile-probe.js');
  const child = spawn(process.execPath, [script, config], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, TIMEOUT_S * 1000);
  return new Promise((done) => {
    child.once('close', () => {
      clearTimeout(timer);
      const events = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Event);
      done({ events, killed });
    });
  });
}

function rowsOf(label: string, events: readonly Event[], killed: boolean): Row[] {
  const done = events.filter((e) => e.event === 'done');
  const hung = killed ? events.findLast((e) => e.event === 'start') : undefined;
  const regexes = [...new Set(done.map((e) => `${e.filter}\0${e.regex}`))];
  const rows = regexes.map((key) => {
    const lines = done.filter((e) => `${e.filter}\0${e.regex}` === key);
    const worst = lines.reduce((a, b) => (b.median! > a.median! ? b : a));
    const max = Math.max(...lines.map((e) => e.max!));
    const median = spread(lines.map((e) => e.median!)).median;
    const matched = lines.filter((e) => e.matched).length;
    return {
      benchmark: NAME,
      tool: `${label} regex ${worst.regex + 1}`,
      metric: 'ms worst line',
      value: { median: worst.median!, min: worst.min!, max: worst.max!, n: worst.runs! },
      digits: 3,
      target: `≤ ${TARGET_MS} ms`,
      met: worst.median! <= TARGET_MS,
      note: `${worst.source}: worst line "${worst.line}"; median line ${number(median, 3)} ms (${lines.length} lines); slowest single run ${number(max, 3)} ms${matched > 0 ? `; ${matched} crafted line(s) matched` : ''}`,
    };
  });
  if (hung !== undefined) {
    rows.push({
      benchmark: NAME,
      tool: `${label} regex ${hung.regex + 1}`,
      metric: 'ms worst line',
      value: { median: Number.POSITIVE_INFINITY, min: Number.NaN, max: Number.NaN, n: 0 },
      digits: 3,
      target: `≤ ${TARGET_MS} ms`,
      met: false,
      note: `${hung.source}: line "${hung.line}" did not finish within ${TIMEOUT_S} s`,
    });
  }
  return rows;
}

export async function hostile(_ctx: Context): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [label, config] of [
    ['seed', SEED],
    ['demo', DEMO],
  ] as const) {
    const { events, killed } = await probe(config);
    rows.push(...rowsOf(label, events, killed));
  }
  return rows;
}
