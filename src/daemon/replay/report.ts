// What `riposte replay` prints: the input, the time of its lines, per filter and per regex
// the lines matched, ignored (by which rule) and missed, the values counted, and every
// trigger and action with its time. Receives the runtime's records; sends one plain object
// (its shape: docs/replay.md), printed as YAML or JSON, and a summary line for stderr.

import type { Filter } from '../../concepts/filter.js';
import { localIsoTime } from '../../lib/log.js';
import { plainYaml } from '../../lib/plain-yaml.js';
import type { Feed } from './feed.js';
import type { InputStats } from './input.js';
import type { Fired, Ran, ReplayRuntime } from './runtime.js';
import type { FilterTally } from './tally.js';
import type { LineTimes } from './times.js';

export interface ReplayReport {
  readonly input: { readonly file: string; readonly lines: number }[];
  readonly lines: number;
  readonly time: {
    readonly formats: readonly string[];
    readonly first: string | null;
    readonly last: string | null;
    readonly untimed: number;
    readonly earlier: number;
  };
  readonly filters: Record<string, Record<string, unknown>>;
  readonly triggers: Record<string, unknown>[];
  readonly actions: Record<string, unknown>[];
  readonly pending: Record<string, unknown>[];
}

export function buildReport(
  runtime: ReplayRuntime,
  run: { readonly inputs: readonly InputStats[]; readonly times: LineTimes; readonly feed: Feed },
): ReplayReport {
  const { inputs, times, feed } = run;
  return {
    input: inputs.map((i) => ({ file: i.name, lines: i.lines })),
    lines: inputs.reduce((sum, i) => sum + i.lines, 0),
    time: {
      formats: times.formats,
      first: isoOrNull(times.first),
      last: isoOrNull(times.last),
      untimed: feed.untimed,
      earlier: feed.earlier,
    },
    filters: Object.fromEntries(
      runtime.tallies().map((t) => [idOf(t.filter), filterPart(t, runtime.triggersOf(t.filter))]),
    ),
    triggers: runtime.fired.map(triggerPart),
    actions: runtime.ran.map((r) => actionPart(r, 'time')),
    pending: runtime.pending().map((r) => actionPart(r, 'due')),
  };
}

export function printReport(report: ReplayReport, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : plainYaml(report);
}

/** One line per filter for stderr: "ssh.failedlogin: 1000 lines, 100 matched, …". */
export function summary(report: ReplayReport): string {
  const per = Object.entries(report.filters).map(([id, f]) => {
    const counts = ['lines', 'matched', 'ignored', 'missed', 'triggers'].map((k) =>
      k === 'lines' || k === 'triggers' ? plural(f[k] as number, k) : `${f[k]} ${k}`,
    );
    return `${id}: ${counts.join(', ')}`;
  });
  return `${per.join('\n')}\n`;
}

/** "1 line", "2 lines". */
export function plural(n: number, things: string): string {
  return `${n} ${n === 1 ? things.slice(0, -1) : things}`;
}

function filterPart(t: FilterTally, triggers: number): Record<string, unknown> {
  const values = [...t.values.values()].sort((a, b) => b.count - a.count);
  return {
    lines: t.lines,
    matched: t.matched,
    ignored: t.ignored,
    missed: t.missedCount,
    triggers,
    ...(t.filter.time === undefined ? {} : { time: t.filter.time }),
    regexes: t.regexes.map((r) => ({
      regex: r.source,
      matched: r.matched,
      ignored: Object.fromEntries(r.ignored),
    })),
    values: values.map((v) => ({ match: matchOf(t.filter, v.values), lines: v.count })),
    ...(t.missed === undefined
      ? {}
      : {
          ...(t.service === undefined
            ? {}
            : { missed_of: t.service.use, missed_elsewhere: t.missedElsewhere }),
          missed_lines: t.missed.map((m) => ({
            at: m.line === 0 ? m.source : `${m.source}:${m.line}`,
            line: m.text,
          })),
        }),
  };
}

function triggerPart(f: Fired): Record<string, unknown> {
  return {
    filter: idOf(f.filter),
    time: localIsoTime(f.time),
    match: matchOf(f.filter, f.values),
    ...(f.duplicates === undefined ? {} : { duplicates: f.duplicates }),
  };
}

function actionPart(r: Ran, when: 'time' | 'due'): Record<string, unknown> {
  return {
    filter: idOf(r.filter),
    action: r.action,
    [when]: localIsoTime(r.time),
    match: matchOf(r.filter, r.values),
  };
}

function matchOf(filter: Filter, values: readonly string[]): Record<string, string> {
  return Object.fromEntries(filter.patterns.map((p, i) => [p.name, values[i]!]));
}

function idOf(filter: Filter): string {
  return `${filter.stream}.${filter.name}`;
}

function isoOrNull(time: number | undefined): string | null {
  return time === undefined ? null : localIsoTime(time);
}
