// The measuring half of bench/hostile.ts, in a process of its own so that a regex that runs
// away can be killed from outside: loads a configuration with riposte's loader, crafts
// 64 KiB lines against each regex of each filter and times the filter's real match() on
// each (riposte picks the engine by line length there). Prints one JSON object per line
// measured, after a "start" object, so that a line that never finishes can be named.
// Run: node dist/bench/hostile-probe.js CONFIG

import { loadConfig } from '../src/concepts/config.js';
import type { Filter } from '../src/concepts/filter.js';
import { DEFAULT_MAX_LINE } from '../src/lib/lines.js';

const SIZE = DEFAULT_MAX_LINE;
/** Stop repeating a line once it has taken this long in total. */
const LINE_BUDGET_MS = 1000;

export interface Probe {
  readonly filter: string;
  readonly regex: number;
  readonly source: string;
  readonly line: string;
  /** Whether the crafted line matched after all (then it is no near miss). */
  readonly matched?: boolean;
  /** Milliseconds per match(): median, best and worst of the timed runs. */
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  readonly runs?: number;
}

const TOKENS = /<\w+>|\.\*|\\S\+|\\d\+|\[0-9\]\*|\(\?:[^)]*\)\?/g;

/** The regex's literal texts, split where a pattern or a repetition stands. */
function pieces(source: string): string[] {
  return source
    .replace(/^\^|\$$/g, '')
    .split(TOKENS)
    .map((p) => p.replace(/\\(.)/g, '$1'));
}

/** A text the regex matches: each pattern or repetition replaced by a short value. */
function sample(source: string): string {
  const value = (token: string): string => {
    if (token.startsWith('<')) return '1.2.3.4';
    if (token.startsWith('(')) return '';
    return token.includes('\\d') || token.includes('0-9') ? '1' : 'x';
  };
  return source
    .replace(/^\^|\$$/g, '')
    .replace(TOKENS, value)
    .replace(/\\(.)/g, '$1');
}

/**
 * head, then unit repeated, then tail, 64 KiB in all. The default end "!" defeats an anchored
 * end and any match at the very end of the line.
 */
function fit(head: string, unit: string, tail = '', end = '!'): string {
  const room = Math.max(0, SIZE - head.length - tail.length - end.length);
  return `${head}${unit.repeat(Math.ceil(room / unit.length)).slice(0, room)}${tail}${end}`;
}

/**
 * Lines that make a backtracking engine work: near misses of this regex, repeated. Each line
 * holds every literal of the regex (in reverse order at the end when the body lacks them),
 * so that a literal pre-filter cannot turn it away before the regex runs.
 */
function craft(source: string): { label: string; line: string }[] {
  const p = pieces(source).filter((x) => x !== '');
  const first = p[0] ?? '';
  const second = p[1] ?? '';
  const tail = ` ${[...p].reverse().join(' ')} `;
  const allButLast = p.slice(0, -1).join('1.2.3.4');
  const nearMiss = `${p.join('1.2.3')} `;
  return [
    { label: 'near misses repeated', line: fit('', nearMiss) },
    { label: 'near misses, then a match at the end', line: fit('', nearMiss, '', sample(source)) },
    { label: 'first literal repeated', line: fit('', first, tail) },
    { label: 'first literal, then no space', line: fit(first, 'x', tail) },
    { label: 'first literal, then spaces', line: fit(first, ' ', tail) },
    { label: 'all but the last literal, then digits', line: fit(allButLast, '1234567890', tail) },
    { label: 'dotted digits where the address goes', line: fit(`${first}x${second}`, '1.', tail) },
    { label: 'hex and colons where the address goes', line: fit(`${first}x${second}`, 'a:', tail) },
  ];
}

function time(
  filter: Filter,
  line: string,
): { matched: boolean; median: number; min: number; max: number; runs: number } {
  const matched = filter.match(line) !== undefined;
  const times: number[] = [];
  let total = 0;
  while (times.length < 3 || (times.length < 20 && total < LINE_BUDGET_MS)) {
    const start = performance.now();
    filter.match(line);
    const ms = performance.now() - start;
    times.push(ms);
    total += ms;
  }
  times.sort((a, b) => a - b);
  return {
    matched,
    median: times[Math.floor(times.length / 2)]!,
    min: times[0]!,
    max: times[times.length - 1]!,
    runs: times.length,
  };
}

function print(probe: Probe & { event: 'start' | 'done' }): void {
  process.stdout.write(`${JSON.stringify(probe)}\n`);
}

async function main(): Promise<void> {
  const [config] = process.argv.slice(2);
  const loaded = await loadConfig(config ?? '');
  if (!loaded.ok) throw new Error(`cannot load ${config}: ${loaded.errors[0]?.message}`);
  for (const stream of loaded.config.streams) {
    for (const filter of stream.filters) {
      for (const [regex, r] of filter.regexes.entries()) {
        for (const { label, line } of craft(r.source)) {
          const id = {
            filter: `${stream.name}.${filter.name}`,
            regex,
            source: r.source,
            line: label,
          };
          print({ event: 'start', ...id });
          print({ event: 'done', ...id, ...time(filter, line) });
        }
      }
    }
  }
}

await main();
