// The counts in `riposte.db`, one row per recent match of a match (its time and line): owns
// the table's layout, the changes the filters report between two commits, and how a commit
// writes them: the entries added since the last one and the delete of those dropped at the
// front, so that a commit costs what changed, not the size of the count. Receives the
// filters' changes through FilterCounts; sends the rows of a commit, applied in its transaction.

import type { FilterCounts, TimesOf } from './records.js';
import { parseLines, parseList } from './rows.js';
import type { Db, Statement } from './sqlite.js';

/**
 * The rows of a match are its recent matches, in the order of (time, id): a row's id grows
 * with each insert, so that equal times keep the order they were counted in.
 */
export const COUNT_TABLE = `
  CREATE TABLE count_entries (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL,
    time INTEGER NOT NULL, line TEXT NOT NULL);
  CREATE INDEX count_entries_match ON count_entries (stream, filter, match, time);
`;

/** What happened to one match since the last commit. */
interface MatchChange {
  values: readonly string[];
  /** Its rows are written again whole: it was forgotten, merged, or a time came out of order. */
  rewrite: boolean;
  /** How many matches were added after all the others (the last ones of its times). */
  appended: number;
}

/** The writes of one match in a commit, and the change they came from (to put it back). */
interface CountWrite {
  readonly key: string;
  readonly change: MatchChange;
  readonly match: string;
  /** Its rows before this time are deleted; undefined: all of them. */
  readonly from: number | undefined;
  readonly times: readonly number[];
  readonly lines: readonly string[];
}

/** A filter's changes since the last commit, match key → change. */
interface Queue {
  readonly counts: FilterCounts;
  readonly queued: Map<string, MatchChange>;
}

export type CountRows = readonly [FilterCounts, readonly CountWrite[]][];

export class CountsPending {
  /** The matches that changed, per filter, since the last commit. */
  readonly #changed = new Map<FilterCounts, Map<string, MatchChange>>();
  readonly #queues = new WeakMap<FilterCounts, Queue>();
  #size = 0;
  readonly #lazily: () => void;

  constructor(lazily: () => void) {
    this.#lazily = lazily;
  }

  get size(): number {
    return this.#size;
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    const queue: Queue = {
      queued: new Map(),
      counts: {
        stream,
        filter,
        timesOf,
        changed: (key, values, appended = false) =>
          this.#change(queue, key, values, !appended, appended ? 1 : 0),
      },
    };
    this.#queues.set(queue.counts, queue);
    return queue.counts;
  }

  /** The writes of every match that changed, read from its times as they are now. */
  take(): CountRows {
    const taken: [FilterCounts, CountWrite[]][] = [];
    for (const [counts, queued] of this.#changed) {
      const writes: CountWrite[] = [];
      for (const [key, change] of queued) writes.push(countWrite(counts, key, change));
      taken.push([counts, writes]);
      queued.clear();
    }
    this.#changed.clear();
    this.#size = 0;
    return taken;
  }

  /** Puts back the changes of a failed commit, merged with those that came since. */
  requeue(rows: CountRows): void {
    for (const [counts, writes] of rows)
      for (const { key, change: c } of writes)
        this.#change(this.#queues.get(counts)!, key, c.values, c.rewrite, c.appended);
  }

  /** Called for each match counted: no allocation once the match is queued. */
  #change(
    { counts, queued }: Queue,
    key: string,
    values: readonly string[],
    rewrite: boolean,
    appended: number,
  ): void {
    if (queued.size === 0) this.#changed.set(counts, queued);
    const earlier = queued.get(key);
    if (earlier === undefined) queued.set(key, { values, rewrite, appended });
    else {
      earlier.values = values;
      earlier.rewrite ||= rewrite;
      earlier.appended += appended;
    }
    if (this.#size++ === 0) this.#lazily();
  }
}

/**
 * A match's writes: its rows deleted when it is gone or written again whole; else those
 * dropped at the front deleted (all older than its first time: times are dropped oldest
 * first, and a time is appended only at or after the last) and the appended ones inserted.
 */
function countWrite(counts: FilterCounts, key: string, change: MatchChange): CountWrite {
  const match = JSON.stringify(change.values);
  const recent = counts.timesOf(key);
  const times = recent?.times ?? [];
  if (times.length === 0 || recent === undefined)
    return { key, change, match, from: undefined, times: [], lines: [] };
  const start = change.rewrite ? 0 : Math.max(0, times.length - change.appended);
  return {
    key,
    change,
    match,
    from: change.rewrite ? undefined : times[0]!,
    times: times.slice(start),
    lines: recent.lines.slice(start, times.length),
  };
}

export function countStatements(db: Db) {
  return {
    insert: db.prepare(
      'INSERT INTO count_entries (stream, filter, match, time, line) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteAll: db.prepare(
      'DELETE FROM count_entries WHERE stream = ? AND filter = ? AND match = ?',
    ),
    deleteBefore: db.prepare(
      'DELETE FROM count_entries WHERE stream = ? AND filter = ? AND match = ? AND time < ?',
    ),
  } satisfies Record<string, Statement>;
}

/** Writes a commit's counts; the caller runs it inside the commit's transaction. */
export function applyCounts(s: ReturnType<typeof countStatements>, rows: CountRows): void {
  for (const [{ stream, filter }, writes] of rows) {
    for (const { match, from, times, lines } of writes) {
      if (from === undefined) s.deleteAll.run(stream, filter, match);
      else s.deleteBefore.run(stream, filter, match, from);
      for (let i = 0; i < times.length; i++)
        s.insert.run(stream, filter, match, times[i], lines[i] ?? '');
    }
  }
}

/**
 * Schema step 4 → 5: each row of the `counts` table of earlier versions (a match's times and
 * lines, as JSON lists) becomes its entries, in the order they were stored.
 */
export function entriesFromCountRows(db: Db): void {
  db.exec(COUNT_TABLE);
  const insert = countStatements(db).insert;
  const rows = db
    .prepare(
      'SELECT stream, filter, match, times, lines FROM counts ORDER BY stream, filter, match',
    )
    .all() as { stream: string; filter: string; match: string; times: string; lines: string }[];
  for (const r of rows) {
    parseList(r.match, 'counts.match');
    const times = parseList(r.times, 'counts.times');
    if (!times.every((t) => typeof t === 'number'))
      throw new Error(`counts.times holds ${JSON.stringify(r.times)}, not a list of times`);
    const lines = parseLines(r.lines, 'counts.lines');
    for (let i = 0; i < times.length; i++)
      insert.run(r.stream, r.filter, r.match, times[i], lines[i] ?? '');
  }
  db.exec('DROP TABLE counts');
}
