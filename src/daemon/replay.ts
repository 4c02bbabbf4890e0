// `riposte replay`: runs a configuration's filters over log files (or stdin), each line at
// its own time, with the daemon's own counting and scheduling; nothing is run. Receives
// the command's options; sends the report (docs/replay.md) to stdout, a summary and the
// configuration's warnings and errors to stderr.

import { type Config, loadConfig } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { UsageError } from '../lib/errors.js';
import { configureLog } from '../lib/log.js';
import { closest } from '../lib/suggest.js';
import type { TimeFormat } from '../lib/timestamp.js';
import { Feed } from './replay/feed.js';
import { type InputStats, readInputs } from './replay/input.js';
import { buildReport, plural, printReport, type ReplayReport, summary } from './replay/report.js';
import { ReplayRuntime } from './replay/runtime.js';
import { LineTimes, parseReference } from './replay/times.js';

export interface ReplayOptions {
  readonly config: string;
  readonly format: 'yaml' | 'json';
  /** STREAM or STREAM.FILTER: the filters the input goes to. */
  readonly limit?: string;
  /** Keep the lines no regex matched, for the report. */
  readonly missed: boolean;
  /** The time the years of syslog dates are inferred from (see parseReference). */
  readonly now?: string;
  /** Log files, "-" for stdin; stdin when empty. */
  readonly files: readonly string[];
}

export async function replay(o: ReplayOptions): Promise<number> {
  // The runtime logs every match and trigger at INFO: the report says it all once.
  configureLog({ level: 'WARN' });
  const reference = o.now === undefined ? Date.now() : parseReference(o.now);
  if (reference === undefined)
    throw new UsageError(`--now ${o.now}: expected YYYY, YYYY-MM-DD or an ISO 8601 time`);
  const loaded = await loadConfig(o.config);
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w.place}: ${w.message}\n`);
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`error: ${e.message}\n`);
    const n = loaded.errors.length;
    process.stderr.write(`${n} error${n === 1 ? '' : 's'} in the configuration ${o.config}\n`);
    return 1;
  }
  const filters = selectFilters(loaded.config, o.limit);
  const done = await replayFiles(loaded.config, {
    filters,
    reference,
    missed: o.missed,
    files: o.files,
  });
  process.stdout.write(printReport(done.report, o.format));
  for (const warning of warningsOf(done)) process.stderr.write(`warning: ${warning}\n`);
  const { lines } = done.report;
  process.stderr.write(
    `${plural(lines, 'lines')} in ${done.seconds.toFixed(2)} s\n${summary(done.report)}`,
  );
  return 0;
}

export interface Replayed {
  readonly report: ReplayReport;
  readonly inputs: readonly InputStats[];
  readonly seconds: number;
}

/** A replay of `files` through `filters`, without printing: for the command and its tests. */
export async function replayFiles(
  config: Config,
  o: {
    readonly filters: readonly Filter[];
    readonly missed: boolean;
    /** The time the years of syslog dates are inferred from. */
    readonly reference: number;
    readonly files: readonly string[];
  },
): Promise<Replayed> {
  const runtime = new ReplayRuntime(config, { filters: o.filters, keepMissed: o.missed });
  const times = new LineTimes(formatsOf(o.filters), { reference: o.reference, now: Date.now() });
  const feed = new Feed(runtime, times, { literals: o.missed ? null : runtime.literals() });
  const started = performance.now();
  const inputs = await readInputs(o.files, (text, source, first) =>
    feed.block(text, source, first),
  );
  feed.end();
  const seconds = (performance.now() - started) / 1000;
  return { report: buildReport(runtime, { inputs, times, feed }), inputs, seconds };
}

/** What the admin should know about the input: cut lines, times missing or out of order. */
function warningsOf(done: Replayed): string[] {
  const warnings = done.inputs.flatMap((input) =>
    input.cut > 0
      ? [`${input.name}: lines longer than 64 KiB were cut, ${input.cut} characters dropped`]
      : [],
  );
  const { time, lines } = done.report;
  const formats = time.formats.join(', ');
  if (time.first === null && lines > 0)
    warnings.push(
      `no line has a time in the format ${formats}: every line was counted at the time it was read`,
    );
  if (time.earlier > 0)
    warnings.push(
      `${time.earlier} line(s) that a regex hit had a time before that of a line before them, and were counted at that later time: are the files in the order they were written?`,
    );
  return warnings;
}

/** The filters of `-l STREAM[.FILTER]`, or those of every stream that has a command. */
export function selectFilters(config: Config, limit: string | undefined): Filter[] {
  if (limit === undefined)
    return config.streams.filter((s) => s.type === 'cmd').flatMap((s) => [...s.filters]);
  const [name = '', filterName, extra] = limit.split('.');
  if (name === '' || filterName === '' || extra !== undefined)
    throw new UsageError(`-l ${limit}: expected STREAM or STREAM.FILTER`);
  const stream = config.streams.find((s) => s.name === name);
  if (stream === undefined) {
    const known = config.streams.map((s) => s.name);
    throw new UsageError(`-l ${limit}: no stream "${name}"${hint(name, known)}`);
  }
  if (filterName === undefined) return [...stream.filters];
  const filter = stream.filters.find((f) => f.name === filterName);
  if (filter === undefined) {
    const known = stream.filters.map((f) => f.name);
    throw new UsageError(
      `-l ${limit}: no filter "${filterName}" in stream "${name}"${hint(filterName, known)}`,
    );
  }
  return [filter];
}

function hint(name: string, known: readonly string[]): string {
  const near = closest(name, known);
  return near === undefined
    ? `; the configuration has ${known.join(', ')}`
    : `, did you mean "${near}"?`;
}

/** The time formats of the filters, in order, without repeats; `auto` when none names one. */
function formatsOf(filters: readonly Filter[]): TimeFormat[] {
  const named = [...new Set(filters.flatMap((f) => (f.time === undefined ? [] : [f.time])))];
  return named.length === 0 ? ['auto'] : named;
}
