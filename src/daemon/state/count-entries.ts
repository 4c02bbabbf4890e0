// The counts in `riposte.db`, a row per match and one per recent match of it (time, line):
// owns the tables' layout, the changes the filters report between two commits, and how a commit
// writes them: the entries added since the last one and the delete of those dropped at the
// front, so that a commit costs what changed, not the size of the count. Receives the
// filters' changes through FilterCounts; sends the rows of a commit, applied in its transaction.

import type { FilterCounts, TimesOf } from './records.js';
import { parseLines, parseList } from './rows.js';
import type { Db, Statement } from './sqlite.js';

/**
 * A match is a row of `count_matches`; its recent matches are rows of `count_entries`, in
 * the order of (time, id): an entry's id grows with each insert, so that equal times keep
 * the order they were counted in. Entries name their match by its integer id: the index a
 * commit inserts into is then small, and so are the pages it rewrites.
 */
export const COUNT_TABLES = `
  CREATE TABLE count_matches (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL,
    UNIQUE (stream, filter, match));
  CREATE TABLE count_entries (
    id INTEGER PRIMARY KEY, match_id INTEGER NOT NULL, time INTEGER NOT NULL,
    line TEXT NOT NULL);
  CREATE INDEX count_entries_match ON count_entries (match_id, time);
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
    idOf: db.prepare('SELECT id FROM count_matches WHERE stream = ? AND filter = ? AND match = ?'),
    addMatch: db.prepare(
      'INSERT INTO count_matches (stream, filter, match) VALUES (?, ?, ?) RETURNING id',
    ),
    forgetMatch: db.prepare('DELETE FROM count_matches WHERE id = ?'),
    insert: db.prepare('INSERT INTO count_entries (match_id, time, line) VALUES (?, ?, ?)'),
    deleteAll: db.prepare('DELETE FROM count_entries WHERE match_id = ?'),
    deleteBefore: db.prepare('DELETE FROM count_entries WHERE match_id = ? AND time < ?'),
  } satisfies Record<string, Statement>;
}

type CountStatements = ReturnType<typeof countStatements>;

/** Writes a commit's counts; the caller runs it inside the commit's transaction. */
export function applyCounts(s: CountStatements, rows: CountRows): void {
  for (const [{ stream, filter }, writes] of rows) {
    for (const { match, from, times, lines } of writes) {
      const known = (s.idOf.all(stream, filter, match)[0] as { id: number } | undefined)?.id;
      if (times.length === 0) {
        if (known === undefined) continue;
        s.deleteAll.run(known);
        s.forgetMatch.run(known);
        continue;
      }
      const id = known ?? addMatch(s, [stream, filter, match]);
      if (known !== undefined && from === undefined) s.deleteAll.run(id);
      else if (known !== undefined) s.deleteBefore.run(id, from);
      for (let i = 0; i < times.length; i++) s.insert.run(id, times[i], lines[i] ?? '');
    }
  }
}

function addMatch(s: CountStatements, match: [string, string, string]): number {
  return (s.addMatch.all(...match)[0] as { id: number }).id;
}

/** Deletes the counts of a filter (one no longer in the configuration). */
export function countDrops(db: Db): (stream: string, filter: string) => void {
  const entries = db.prepare(
    'DELETE FROM count_entries WHERE match_id IN (SELECT id FROM count_matches WHERE stream = ? AND filter = ?)',
  );
  const matches = db.prepare('DELETE FROM count_matches WHERE stream = ? AND filter = ?');
  return (stream, filter) => {
    entries.run(stream, filter);
    matches.run(stream, filter);
  };
}

/**
 * Schema step 4 → 5: each row of the `counts` table of earlier versions (a match's times and
 * lines, as JSON lists) becomes a match and its entries, in the order they were stored.
 */
export function entriesFromCountRows(db: Db): void {
  db.exec(COUNT_TABLES);
  const s = countStatements(db);
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
    if (times.length === 0) continue;
    const id = addMatch(s, [r.stream, r.filter, r.match]);
    for (let i = 0; i < times.length; i++) s.insert.run(id, times[i], lines[i] ?? '');
  }
  db.exec('DROP TABLE counts');
}
