// The reports of show, flush and unban, built as flat columns per filter, without an object
// per match: a `show` of 100k matches must stay well under a second. Owns nothing; reads the
// filters' counts and the scheduler's triggers in effect, and asks them to forget and flush
// (the scheduler stores each flushed action as due now before it starts). Receives a
// selection; sends the FilterReports of the control protocol.

import type { Filter } from '../concepts/filter.js';
import type { FilterReport } from '../protocol.js';
import type { FilterRuntime } from './filter.js';
import { type Live, pendingActions, type Scheduler } from './scheduler.js';
import type { Selection } from './selection.js';

export interface ReportParts {
  readonly filters: readonly FilterRuntime[];
  readonly scheduler: Scheduler;
}

/** Counts, triggers in effect and their pending actions of the selected matches. */
export function showReport(
  d: ReportParts,
  selected: Selection,
  o: { lines: boolean },
): FilterReport[] {
  const now = Date.now();
  const reports = new Reports(o.lines);
  for (const live of d.scheduler.inEffect()) {
    const test = selected.get(live.filter);
    if (test === undefined || (test !== null && !test(live.values))) continue;
    reports.trigger(live);
    for (const [name, due] of pendingActions(live))
      reports.action(live.filter, live.values, name, due);
  }
  for (const runtime of d.filters) {
    const f = runtime.filter;
    const test = selected.get(f);
    if (test === undefined) continue;
    const oldest = now - f.retryperiod;
    for (const counted of runtime.counts()) {
      if (test !== null && !test(counted.values)) continue;
      const recent = countAfter(counted.times, oldest);
      if (recent === 0) continue;
      reports.count(f, counted.values, recent);
      reports.lines(f, counted.values, counted.lines.slice(-recent));
    }
  }
  return reports.list(d.filters);
}

/**
 * Forgets the counts of the selected matches, runs their pending actions now and lifts their
 * bans with no end. A crash before a flushed action finishes runs it once more at restart
 * (an unban again), instead of bringing it back at its old time with the ban before it.
 */
export function flushReport(d: ReportParts, selected: Selection): FilterReport[] {
  const reports = new Reports(false);
  const now = Date.now();
  for (const runtime of d.filters) {
    const f = runtime.filter;
    const test = selected.get(f);
    if (test === undefined) continue;
    for (const counted of runtime.forget((values) => test === null || test(values))) {
      // As `show` counted it: expired times that no sweep has dropped yet are not news.
      const recent = countAfter(counted.times, now - f.retryperiod);
      if (recent > 0) reports.count(f, counted.values, recent);
    }
  }
  const select = (filter: Filter, values: readonly string[]) => {
    const test = selected.get(filter);
    return test !== undefined && (test === null || test(values));
  };
  for (const { live, actions, lifted } of d.scheduler.flush(select)) {
    reports.trigger(live, lifted);
    for (const [name, due] of actions) reports.action(live.filter, live.values, name, due);
  }
  return reports.list(d.filters);
}

/** The match as reports name it: its value, or "name=value …" when the filter has several patterns. */
export function matchName(filter: Filter, values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return filter.patterns.map((p, i) => `${p.name}=${values[i]}`).join(' ');
}

/** How many of the times, oldest first, are after `oldest`. */
export function countAfter(times: readonly number[], oldest: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && times[i]! > oldest; i--) n++;
  return n;
}

/** A column being filled; sent as a (readonly) Column. */
interface Filling {
  readonly match: string[];
  readonly value: number[];
}

type Filled = FilterReport & {
  counts: Filling;
  actions: Record<string, Filling>;
  triggers: Filling;
  permanent: string[];
  lines?: Record<string, string[]>;
};

/** The filter reports of one answer, filled match by match. */
class Reports {
  readonly #byFilter = new Map<Filter, Filled>();
  readonly #lines: boolean;

  constructor(lines: boolean) {
    this.#lines = lines;
  }

  count(filter: Filter, values: readonly string[], n: number): void {
    push(this.#of(filter).counts, matchName(filter, values), n);
  }

  action(filter: Filter, values: readonly string[], action: string, due: number): void {
    const actions = this.#of(filter).actions;
    actions[action] ??= { match: [], value: [] };
    push(actions[action], matchName(filter, values), due);
  }

  /** A trigger in effect: when it fired, whether it holds a ban with no end, its lines. */
  trigger(live: Live, permanent = live.held): void {
    const report = this.#of(live.filter);
    const match = matchName(live.filter, live.values);
    push(report.triggers, match, live.time);
    if (permanent) report.permanent.push(match);
    this.lines(live.filter, live.values, live.lines);
  }

  /** Lines of a match, after those it has already (when lines are asked for). */
  lines(filter: Filter, values: readonly string[], lines: readonly string[]): void {
    if (!this.#lines) return;
    const report = this.#of(filter);
    report.lines ??= Object.create(null) as Record<string, string[]>;
    const all = report.lines;
    const match = matchName(filter, values);
    all[match] = [...(all[match] ?? []), ...lines.filter((l) => l !== '')];
  }

  /** The reports in configuration order. */
  list(filters: readonly FilterRuntime[]): FilterReport[] {
    return filters.flatMap((f) => this.#byFilter.get(f.filter) ?? []);
  }

  #of(filter: Filter): Filled {
    let report = this.#byFilter.get(filter);
    if (report === undefined) {
      report = {
        stream: filter.stream,
        filter: filter.name,
        counts: { match: [], value: [] },
        actions: {},
        triggers: { match: [], value: [] },
        permanent: [],
      };
      this.#byFilter.set(filter, report);
    }
    return report;
  }
}

function push(column: Filling, match: string, value: number): void {
  column.match.push(match);
  column.value.push(value);
}
