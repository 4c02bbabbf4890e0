// A filter at run time: owns the recent match times of each match (the counts). Receives
// blocks of lines from its stream and restored counts from the store; sends triggers to
// the scheduler and count changes to the store. Memory stays bounded: times older than
// `retryperiod` are dropped as they are met, and by a periodic sweep.

import type { Filter } from '../concepts/filter.js';
import { log, quote } from '../lib/log.js';
import type { FilterCounts, StateWrites } from './state/records.js';

export interface Counted {
  readonly values: readonly string[];
  /** Times of the recent matches, oldest first. */
  readonly times: number[];
}

export type OnTrigger = (filter: Filter, values: readonly string[], now: number) => void;

export class FilterRuntime {
  #filter: Filter;
  readonly id: string;
  /** Match key → times of its recent matches, oldest first (the values come from the key). */
  readonly #counts = new Map<string, number[]>();
  readonly #stored: FilterCounts;
  readonly #onTrigger: OnTrigger;
  readonly stats = { matches: 0, triggers: 0 };

  constructor(filter: Filter, deps: { store: StateWrites; onTrigger: OnTrigger }) {
    this.#filter = filter;
    this.id = `${filter.stream}.${filter.name}`;
    this.#stored = deps.store.countsOf(filter.stream, filter.name, (key) => this.#counts.get(key));
    this.#onTrigger = deps.onTrigger;
  }

  get filter(): Filter {
    return this.#filter;
  }

  /**
   * The filter's new definition, of the same id (a reload). Counts stay, but not those the new
   * definition forbids: none with `retry` 1, none older than the new `retryperiod`, and when
   * the patterns changed, a match keeps its count only if `accept` takes each of its values
   * for the pattern of that name (as its canonical value: two matches may become one), else
   * it is dropped. Returns how many matches were dropped.
   */
  reconfigure(
    filter: Filter,
    o: { now: number; accept: ((values: readonly string[]) => string[] | undefined) | undefined },
  ): number {
    const before = this.#filter;
    this.#filter = filter;
    const counts = [...this.#counts];
    this.#counts.clear();
    let dropped = 0;
    for (const [key, times] of counts) {
      const values = valuesOf(key, before);
      this.#stored.changed(key, values);
      dropExpired(times, o.now - filter.retryperiod);
      const keeps = filter.retry > 1 && times.length > 0;
      const kept = !keeps ? undefined : o.accept === undefined ? values : o.accept(values);
      if (kept === undefined) {
        dropped++;
        continue;
      }
      const newKey = keyOf(kept);
      const merged = this.#counts.get(newKey);
      this.#counts.set(
        newKey,
        merged === undefined ? times : [...merged, ...times].sort((a, b) => a - b),
      );
      this.#stored.changed(newKey, kept);
    }
    return dropped;
  }

  /** The hot path: a block of lines read at `now` (see LineSplitter). */
  block(text: string, now: number): void {
    this.#filter.scan(text, (values) => this.count(values, now));
  }

  /**
   * One match of `values` at `now`: triggers when it is the `retry`-th within `retryperiod`
   * of the latest, at the latest's time. `now` may be in the past (another host's line).
   */
  count(values: readonly string[], now: number): void {
    this.stats.matches++;
    log('INFO', `${this.id}: match ${values.map(quote).join(' ')}`);
    const retry = this.#filter.retry;
    if (retry <= 1) {
      this.#trigger(values, now);
      return;
    }
    const key = keyOf(values);
    let times = this.#counts.get(key);
    if (times === undefined) {
      times = [];
      this.#counts.set(key, times);
    }
    // A line from another host carries its own time, which may be older than a count's last.
    insertInOrder(times, now);
    const latest = times[times.length - 1]!;
    dropExpired(times, latest - this.#filter.retryperiod);
    if (times.length >= retry) {
      this.#counts.delete(key);
      this.#stored.changed(key, values);
      this.#trigger(values, latest);
    } else {
      this.#stored.changed(key, values);
    }
  }

  /** Puts back counts read from the store, without their expired times. */
  restore(values: readonly string[], times: readonly number[], now: number): void {
    const kept = times.filter((t) => t > now - this.#filter.retryperiod).sort((a, b) => a - b);
    const key = keyOf(values);
    if (kept.length === 0 || this.#filter.retry <= 1) {
      this.#stored.changed(key, values);
      return;
    }
    this.#counts.set(key, kept);
  }

  /** Drops every match whose times all expired. */
  sweep(now: number): void {
    const oldest = now - this.#filter.retryperiod;
    for (const [key, times] of this.#counts) {
      dropExpired(times, oldest);
      if (times.length > 0) continue;
      this.#counts.delete(key);
      this.#stored.changed(key, valuesOf(key, this.#filter));
    }
  }

  /** Forgets the counts of the matches `select` keeps; returns them. */
  forget(select: (values: readonly string[]) => boolean): Counted[] {
    const forgotten: Counted[] = [];
    for (const [key, times] of this.#counts) {
      const values = valuesOf(key, this.#filter);
      if (!select(values)) continue;
      this.#counts.delete(key);
      this.#stored.changed(key, values);
      forgotten.push({ values, times });
    }
    return forgotten;
  }

  /** The current counts, for `show`. */
  *counts(): IterableIterator<Counted> {
    for (const [key, times] of this.#counts) yield { values: valuesOf(key, this.#filter), times };
  }

  get size(): number {
    return this.#counts.size;
  }

  #trigger(values: readonly string[], now: number): void {
    this.stats.triggers++;
    this.#onTrigger(this.#filter, values, now);
  }
}

/** The values of a match key (see keyOf). */
function valuesOf(key: string, filter: Filter): readonly string[] {
  return filter.patterns.length === 1 ? [key] : (JSON.parse(key) as string[]);
}

/** One string per match: its value, or its values as JSON when the filter has several patterns. */
export function keyOf(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

function insertInOrder(times: number[], time: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > time) i--;
  if (i === times.length) times.push(time);
  else times.splice(i, 0, time);
}

function dropExpired(times: number[], oldest: number): void {
  let n = 0;
  while (n < times.length && times[n]! <= oldest) n++;
  if (n > 0) times.splice(0, n);
}
