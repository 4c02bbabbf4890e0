// A filter at run time: owns the recent matches of each match (the counts): their times and
// the lines they were found in. Receives blocks of lines from its stream and restored counts
// from the store; sends triggers, with the lines that counted toward them, to the scheduler,
// and count changes to the store. Memory stays bounded: times older than `retryperiod` are
// dropped as they are met, and by a periodic sweep; a match keeps fewer than `retry` lines,
// each cut at LINE_KEPT characters.

import type { Filter } from '../concepts/filter.js';
import { log, quote } from '../lib/log.js';
import { lineTime, type TimeFormat } from '../lib/timestamp.js';
import type { FilterCounts, Recent, StateWrites } from './state/records.js';

/** Longest part of a line kept with a count or a trigger: enough for any log message. */
export const LINE_KEPT = 512;

export interface Counted {
  readonly values: readonly string[];
  /** Times of the recent matches, oldest first. */
  readonly times: number[];
  /** The line of each time ("" for a match that came without one). */
  readonly lines: string[];
}

export type OnTrigger = (
  filter: Filter,
  values: readonly string[],
  now: number,
  lines: readonly string[],
) => void;

/**
 * The recent matches of one match, as the filter keeps them. Each array is replaced by one of
 * the exact length when a match is added: a pushed array grows by 16 slots at once, which for
 * a million addresses seen once each is 270 MB of empty slots.
 */
interface Entry extends Recent {
  times: number[];
  lines: string[];
}

export class FilterRuntime {
  #filter: Filter;
  readonly id: string;
  /** Match key → its recent matches, oldest first (the values come from the key). */
  readonly #counts = new Map<string, Entry>();
  readonly #stored: FilterCounts;
  readonly #onTrigger: OnTrigger;
  /** `late`: matches of lines read on resume that were too old to count (see blockAt). */
  readonly stats = { matches: 0, triggers: 0, late: 0 };

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
    for (const [key, entry] of counts) {
      const values = valuesOf(key, before);
      this.#stored.changed(key, values);
      dropExpired(entry, o.now - filter.retryperiod);
      const keeps = filter.retry > 1 && entry.times.length > 0;
      const kept = !keeps ? undefined : o.accept === undefined ? values : o.accept(values);
      if (kept === undefined) {
        dropped++;
        continue;
      }
      const newKey = keyOf(kept);
      const merged = this.#counts.get(newKey);
      this.#counts.set(newKey, merged === undefined ? entry : mergeEntries(merged, entry));
      this.#stored.changed(newKey, kept);
    }
    return dropped;
  }

  /** The hot path: a block of lines read at `now` (see LineSplitter). */
  block(text: string, now: number): void {
    this.#filter.scan(text, (values, line) => this.count(values, now, line));
  }

  /**
   * A block of lines that carry their own time (a file's, the journal's), read at `o.now`:
   * each match counted at `o.time`, or at the time its line holds in the filter's format
   * (the time it is read when it holds none, and never later). A match older than
   * `o.oldest` (the stream's catch-up bound) or than `retryperiod` before now is not
   * counted: it could not have triggered had riposte been reading then.
   */
  blockAt(text: string, o: { time: number | undefined; now: number; oldest: number }): void {
    const period = this.#filter.retryperiod;
    const floor = period > 0 ? Math.max(o.oldest, o.now - period) : o.oldest;
    const format = this.#filter.time ?? 'auto';
    this.#filter.scan(text, (values, line) => {
      const time = o.time ?? ownTime(line, format, o.now);
      if (time < floor) this.stats.late++;
      else this.count(values, time, line);
    });
  }

  /**
   * One match of `values` at `now`, found in `line` (none for a match from elsewhere):
   * triggers when it is the `retry`-th within `retryperiod` of the latest, at the latest's
   * time. `now` may be in the past (another host's line).
   */
  count(values: readonly string[], now: number, line?: string): void {
    this.stats.matches++;
    log('INFO', `${this.id}: match ${values.map(quote).join(' ')}`);
    const retry = this.#filter.retry;
    const kept = line === undefined ? '' : keepLine(line);
    if (retry <= 1) {
      this.#trigger(values, now, kept === '' ? [] : [kept]);
      return;
    }
    const key = keyOf(values);
    let entry = this.#counts.get(key);
    // Whether the state may write only the time added (see FilterCounts.changed).
    let appended = true;
    if (entry === undefined) {
      entry = { times: [now], lines: [kept] };
      this.#counts.set(key, entry);
    } else {
      // A line from another host carries its own time, which may be older than a count's last.
      appended = insertInOrder(entry, now, kept);
    }
    const latest = entry.times[entry.times.length - 1]!;
    dropExpired(entry, latest - this.#filter.retryperiod);
    if (entry.times.length >= retry) {
      this.#counts.delete(key);
      this.#stored.changed(key, values);
      this.#trigger(
        values,
        latest,
        entry.lines.filter((l) => l !== ''),
      );
    } else {
      this.#stored.changed(key, values, appended);
    }
  }

  /** Puts back counts read from the store, without their expired times. */
  restore(values: readonly string[], recent: Recent, now: number): void {
    const oldest = now - this.#filter.retryperiod;
    const kept = recent.times
      .map((time, i) => ({ time, line: recent.lines[i] ?? '' }))
      .filter((m) => m.time > oldest)
      .sort((a, b) => a.time - b.time);
    const key = keyOf(values);
    if (kept.length === 0 || this.#filter.retry <= 1) {
      this.#stored.changed(key, values);
      return;
    }
    this.#counts.set(key, { times: kept.map((m) => m.time), lines: kept.map((m) => m.line) });
  }

  /** Drops every match whose times all expired. */
  sweep(now: number): void {
    const oldest = now - this.#filter.retryperiod;
    for (const [key, entry] of this.#counts) {
      dropExpired(entry, oldest);
      if (entry.times.length > 0) continue;
      this.#counts.delete(key);
      this.#stored.changed(key, valuesOf(key, this.#filter));
    }
  }

  /** Forgets the counts of the matches `select` keeps; returns them. */
  forget(select: (values: readonly string[]) => boolean): Counted[] {
    const forgotten: Counted[] = [];
    for (const [key, entry] of this.#counts) {
      const values = valuesOf(key, this.#filter);
      if (!select(values)) continue;
      this.#counts.delete(key);
      this.#stored.changed(key, values);
      forgotten.push({ values, ...entry });
    }
    return forgotten;
  }

  /** The current counts, for `show`. */
  *counts(): IterableIterator<Counted> {
    for (const [key, entry] of this.#counts) {
      yield { values: valuesOf(key, this.#filter), ...entry };
    }
  }

  get size(): number {
    return this.#counts.size;
  }

  #trigger(values: readonly string[], now: number, lines: readonly string[]): void {
    this.stats.triggers++;
    this.#onTrigger(this.#filter, values, now, lines);
  }
}

/** Earlier than this, a time read from a line is taken for a misreading. */
const EARLIEST = Date.UTC(1990, 0, 1);

/** The time `line` holds in `format`, if plausible and not after `now`; else `now`. */
function ownTime(line: string, format: TimeFormat, now: number): number {
  const time = lineTime(line, format, now);
  return time === undefined || time < EARLIEST || time > now ? now : time;
}

/** The values of a match key (see keyOf). */
function valuesOf(key: string, filter: Filter): readonly string[] {
  return filter.patterns.length === 1 ? [key] : (JSON.parse(key) as string[]);
}

/** One string per match: its value, or its values as JSON when the filter has several patterns. */
export function keyOf(values: readonly string[]): string {
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

/**
 * The part of a line kept, in a string of its own: a line is a slice of a 64 KiB block,
 * which a kept slice would hold in memory. Cut between characters, never inside a pair of
 * UTF-16 surrogates.
 */
export function keepLine(line: string): string {
  let cut = line;
  if (line.length > LINE_KEPT) {
    const high = line.charCodeAt(LINE_KEPT - 1);
    cut = line.slice(0, high >= 0xd800 && high <= 0xdbff ? LINE_KEPT - 1 : LINE_KEPT);
  }
  // Prepending then slicing makes V8 copy the characters out of the block.
  return ` ${cut}`.slice(1);
}

/** Returns whether the time went after all the others, of which there was at least one. */
function insertInOrder(entry: Entry, time: number, line: string): boolean {
  const times = entry.times;
  let i = times.length;
  while (i > 0 && times[i - 1]! > time) i--;
  entry.times = times.toSpliced(i, 0, time);
  entry.lines = entry.lines.toSpliced(i, 0, line);
  return i === times.length && i > 0;
}

/** Two matches' recent matches as one, oldest first (a reload made them the same match). */
function mergeEntries(a: Entry, b: Entry): Entry {
  const all = [
    ...a.times.map((time, i) => ({ time, line: a.lines[i] ?? '' })),
    ...b.times.map((time, i) => ({ time, line: b.lines[i] ?? '' })),
  ].sort((x, y) => x.time - y.time);
  return { times: all.map((m) => m.time), lines: all.map((m) => m.line) };
}

function dropExpired(entry: Entry, oldest: number): void {
  const times = entry.times;
  let n = 0;
  while (n < times.length && times[n]! <= oldest) n++;
  if (n > 0) {
    times.splice(0, n);
    entry.lines.splice(0, n);
  }
}
