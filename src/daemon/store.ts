// The persistent state, in one SQLite file: the only user of the SQLite binding. Owns the
// database. Receives writes from the filters (counts) and the scheduler (triggers and their
// actions); queues them and commits them in one transaction: at the end of the event-loop
// turn when someone waits for them (a new trigger's actions, a client's answer), else within
// a second (counts, actions done, moved due times). Then tells the waiting callers.

import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StateError } from '../lib/errors.js';
import { log } from '../lib/log.js';

export const STATE_FILE = 'riposte.db';
/** "RPST": tells a riposte state file from any other SQLite file. */
const APPLICATION_ID = 0x52505354;
const SCHEMA_VERSION = 1;
/** Shortest time between two commits that someone waits for, in ms. */
const GROUP_DELAY = 5;
/** Longest a write nobody waits for stays in memory. */
const LAZY_DELAY = 1000;

export interface StoredAction {
  readonly name: string;
  readonly due: number;
  readonly done: boolean;
}

export interface StoredTrigger {
  readonly id: number;
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly time: number;
  readonly actions: readonly StoredAction[];
}

export interface StoredFilter {
  readonly stream: string;
  readonly filter: string;
}

/**
 * A filter's counts as the store sees them: the filter says which match changed, and the
 * store reads its times (none: the match is forgotten) when it writes, once per commit.
 */
export interface FilterCounts {
  readonly stream: string;
  readonly filter: string;
  readonly timesOf: (key: string) => readonly number[] | undefined;
  changed(key: string, values: readonly string[]): void;
}

export interface StoredCount {
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly times: readonly number[];
}

/**
 * What is still to be written about one trigger, merged as writes arrive: a trigger that is
 * forgotten before its row was written never reaches the file, and updates to one row go in
 * one statement each.
 */
interface TriggerWrite {
  /** The whole trigger, when its row is yet to be written. */
  insert: StoredTrigger | undefined;
  /** Action name → [due, done], for a row already written. */
  readonly updates: Map<string, [number | undefined, boolean]>;
  forget: boolean;
}

/** A trigger is one row; its actions a JSON object of name → [due, done (0 or 1)]. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS triggers (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL,
    match TEXT NOT NULL, time INTEGER NOT NULL, actions TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS counts (
    stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL, times TEXT NOT NULL,
    PRIMARY KEY (stream, filter, match)) WITHOUT ROWID;
`;

export class Store {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #writes = new Map<number, TriggerWrite>();
  /** The matches whose counts changed, per filter: key → values; times are read at commit. */
  readonly #counts = new Map<FilterCounts, Map<string, readonly string[]>>();
  #countsQueued = 0;
  /** A waiting caller reports counts: the next commit writes them too. */
  #countsWanted = false;
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The commit that someone waits for, at the end of this turn or soon after. */
  #soon: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | undefined;
  #lastCommit = 0;
  #failing = false;
  readonly #statements;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#statements = {
      trigger: db.prepare(
        'INSERT OR REPLACE INTO triggers (id, stream, filter, match, time, actions) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      due: db.prepare(
        "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[0]', ?) WHERE id = ?",
      ),
      done: db.prepare(
        "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[1]', 1) WHERE id = ?",
      ),
      forget: db.prepare('DELETE FROM triggers WHERE id = ?'),
      putCount: db.prepare(
        'INSERT OR REPLACE INTO counts (stream, filter, match, times) VALUES (?, ?, ?, ?)',
      ),
      deleteCount: db.prepare('DELETE FROM counts WHERE stream = ? AND filter = ? AND match = ?'),
    };
  }

  /** Opens (or creates) the state file of a directory; refuses foreign and corrupt files. */
  static open(directory: string): Store {
    const path = join(directory, STATE_FILE);
    checkWritable(directory, path);
    const fresh = !existsSync(path);
    let db: Database.Database | undefined;
    try {
      // No waiting for locks: no other process has any business with the file.
      db = new Database(path, { fileMustExist: false, timeout: 0 });
      // The file stays locked while riposte runs: a second daemon on the same state directory
      // would write over the first one's triggers.
      db.pragma('locking_mode = EXCLUSIVE');
      // Everything is checked before the first write: a file riposte cannot trust is left as it is.
      if (!fresh) checkIdentity(db, path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      if (fresh) db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.exec(SCHEMA);
    } catch (error) {
      db?.close();
      throw openError(path, error);
    }
    return new Store(path, db);
  }

  /** Everything stored, for the restart of §2.5; a row that cannot be read is a StateError. */
  load(): { triggers: StoredTrigger[]; counts: StoredCount[] } {
    try {
      return this.#load();
    } catch (error) {
      throw new StateError(
        `cannot read state file ${this.path}: ${(error as Error).message}; riposte will not overwrite it: move it away`,
        { cause: error },
      );
    }
  }

  #load(): { triggers: StoredTrigger[]; counts: StoredCount[] } {
    const rows = this.#db
      .prepare('SELECT id, stream, filter, match, time, actions FROM triggers ORDER BY id')
      .all() as {
      id: number;
      stream: string;
      filter: string;
      match: string;
      time: number;
      actions: string;
    }[];
    const triggers = rows.map((r) => ({
      id: r.id,
      stream: r.stream,
      filter: r.filter,
      values: parseList(r.match, 'triggers.match') as string[],
      time: r.time,
      actions: parseActions(r.actions),
    }));
    const counts = (
      this.#db.prepare('SELECT stream, filter, match, times FROM counts').all() as {
        stream: string;
        filter: string;
        match: string;
        times: string;
      }[]
    ).map((r) => ({
      stream: r.stream,
      filter: r.filter,
      values: parseList(r.match, 'counts.match') as string[],
      times: parseList(r.times, 'counts.times') as number[],
    }));
    return { triggers, counts };
  }

  /** A new trigger: written at the end of this event-loop turn, before its actions start. */
  addTrigger(trigger: StoredTrigger): void {
    this.#entry(trigger.id).insert = {
      ...trigger,
      actions: trigger.actions.map((a) => ({ ...a })),
    };
    this.#commitSoon();
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#update(trigger, action, due, false);
  }

  /** An action that ended; a crash before this is written makes it run again at restart. */
  setDone(trigger: number, action: string): void {
    this.#update(trigger, action, undefined, true);
  }

  forgetTrigger(trigger: number): void {
    const entry = this.#entry(trigger);
    if (entry.insert !== undefined) this.#writes.delete(trigger);
    else {
      entry.forget = true;
      entry.updates.clear();
    }
    this.#lazily();
  }

  #entry(trigger: number): TriggerWrite {
    let entry = this.#writes.get(trigger);
    if (entry === undefined) {
      entry = { insert: undefined, updates: new Map(), forget: false };
      this.#writes.set(trigger, entry);
    }
    return entry;
  }

  #update(trigger: number, action: string, due: number | undefined, done: boolean): void {
    const entry = this.#entry(trigger);
    const inserted = entry.insert?.actions.find((a) => a.name === action) as
      | { due: number; done: boolean }
      | undefined;
    if (inserted !== undefined) {
      if (due !== undefined) inserted.due = due;
      if (done) inserted.done = true;
    } else if (!entry.forget) {
      const [earlierDue, earlierDone] = entry.updates.get(action) ?? [undefined, false];
      entry.updates.set(action, [due ?? earlierDue, done || earlierDone]);
    }
    this.#lazily();
  }

  /**
   * Group commit: at the end of this event-loop turn, but no sooner than GROUP_DELAY after
   * the last commit, so that a burst of triggers pays for a few syncs of the disk, not one
   * per 64 KiB of log read. Their actions wait that much more, at most.
   */
  #commitSoon(): void {
    if (this.#soon !== undefined) return;
    const wait = this.#lastCommit + GROUP_DELAY - performance.now();
    const commit = (): void => this.commit(this.#countsWanted);
    this.#soon =
      wait <= 0 ? { immediate: setImmediate(commit) } : { timeout: setTimeout(commit, wait) };
  }

  #lazily(): void {
    this.#timer ??= setTimeout(() => this.commit(), LAZY_DELAY);
  }

  /**
   * Where a filter records the recent match times of its matches (an empty list forgets a
   * match); written within a second. `key` is any string unique to the match in the filter.
   */
  countsOf(
    stream: string,
    filter: string,
    timesOf: (key: string) => readonly number[] | undefined,
  ): FilterCounts {
    const queued = new Map<string, readonly string[]>();
    const counts: FilterCounts = {
      stream,
      filter,
      timesOf,
      changed: (key, values) => {
        if (queued.size === 0) this.#counts.set(counts, queued);
        queued.set(key, values);
        if (this.#countsQueued++ === 0) this.#lazily();
      },
    };
    return counts;
  }

  /** Runs `callback` once every write queued so far is durable (or failed and was logged). */
  afterCommit(callback: () => void, options: { counts?: boolean } = {}): void {
    this.#waiting.push(callback);
    if (options.counts === true) this.#countsWanted = true;
    this.#commitSoon();
  }

  /**
   * Commits the queued writes now, in one transaction, then calls the waiting callbacks.
   * Counts wait for the timer (`all`): a burst of matches then writes each match once a
   * second, not once per event-loop turn.
   */
  commit(all = true): void {
    if (this.#soon !== undefined) {
      if ('immediate' in this.#soon) clearImmediate(this.#soon.immediate);
      else clearTimeout(this.#soon.timeout);
      this.#soon = undefined;
    }
    this.#lastCommit = performance.now();
    if (all) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#countsWanted = false;
    }
    if (this.#writes.size > 0 || (all && this.#countsQueued > 0)) this.#write(all);
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const callback of waiting) callback();
  }

  /**
   * Gives the pages of forgotten rows back to the file system and empties the write-ahead
   * log: the filters and the scheduler forget expired entries as they go, so the file stays
   * as large as the live state.
   */
  compact(): void {
    this.commit();
    this.#db.pragma('incremental_vacuum');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Drops the state of filters that are no longer in the configuration; returns those filters. */
  dropFilters(isLive: (stream: string, filter: string) => boolean): StoredFilter[] {
    try {
      return this.#dropFilters(isLive);
    } catch (error) {
      throw new StateError(
        `cannot drop the state of removed filters in ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #dropFilters(isLive: (stream: string, filter: string) => boolean): StoredFilter[] {
    const gone = (
      this.#db
        .prepare(
          'SELECT DISTINCT stream, filter FROM triggers UNION SELECT DISTINCT stream, filter FROM counts',
        )
        .all() as {
        stream: string;
        filter: string;
      }[]
    ).filter((f) => !isLive(f.stream, f.filter));
    const drop = this.#db.transaction(() => {
      for (const f of gone) {
        this.#db
          .prepare('DELETE FROM triggers WHERE stream = ? AND filter = ?')
          .run(f.stream, f.filter);
        this.#db
          .prepare('DELETE FROM counts WHERE stream = ? AND filter = ?')
          .run(f.stream, f.filter);
      }
    });
    drop();
    return gone;
  }

  close(): void {
    this.commit();
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }

  #write(all: boolean): void {
    const writes = [...this.#writes.entries()];
    this.#writes.clear();
    const counts = all ? this.#takeCounts() : [];
    try {
      this.#db.transaction(() => this.#apply(writes, counts))();
      if (this.#failing) log('INFO', `state: writing to ${this.path} works again`);
      this.#failing = false;
    } catch (error) {
      this.#requeue(writes, counts);
      if (!this.#failing) {
        log(
          'ERROR',
          `state: cannot write ${this.path}: ${(error as Error).message}; bans and unbans go on in memory and the writes are kept to retry, but a restart now would lose them`,
        );
      }
      this.#failing = true;
      this.#lazily();
    }
  }

  /** The counts to write, with their times as they are now. */
  #takeCounts(): [FilterCounts, [string, readonly string[], readonly number[]][]][] {
    const taken: [FilterCounts, [string, readonly string[], readonly number[]][]][] = [];
    for (const [filter, queued] of this.#counts) {
      taken.push([
        filter,
        [...queued].map(([key, values]) => [key, values, filter.timesOf(key) ?? []]),
      ]);
      queued.clear();
    }
    this.#counts.clear();
    this.#countsQueued = 0;
    return taken;
  }

  /** Puts back what a failed transaction held, with what arrived since applied on top. */
  #requeue(
    writes: [number, TriggerWrite][],
    counts: [FilterCounts, [string, readonly string[], readonly number[]][]][],
  ): void {
    const later = new Map(this.#writes);
    this.#writes.clear();
    for (const [id, entry] of writes) this.#writes.set(id, entry);
    for (const [id, entry] of later) {
      if (entry.insert !== undefined) this.addTrigger(entry.insert);
      for (const [name, [due, done]] of entry.updates) this.#update(id, name, due, done);
      if (entry.forget) this.forgetTrigger(id);
    }
    for (const [filter, earlier] of counts)
      for (const [key, values] of earlier) filter.changed(key, values);
  }

  #apply(
    writes: readonly [number, TriggerWrite][],
    counts: readonly [FilterCounts, [string, readonly string[], readonly number[]][]][],
  ): void {
    const s = this.#statements;
    for (const [id, w] of writes) {
      if (w.forget) {
        s.forget.run(id);
        continue;
      }
      const t = w.insert;
      if (t !== undefined) {
        s.trigger.run(
          id,
          t.stream,
          t.filter,
          JSON.stringify(t.values),
          t.time,
          actionsJson(t.actions),
        );
      }
      for (const [name, [due, done]] of w.updates) {
        if (due !== undefined) s.due.run(name, due, id);
        if (done) s.done.run(name, id);
      }
    }
    for (const [{ stream, filter }, queued] of counts) {
      for (const [, values, times] of queued) {
        const match = JSON.stringify(values);
        if (times.length === 0) s.deleteCount.run(stream, filter, match);
        else s.putCount.run(stream, filter, match, JSON.stringify(times));
      }
    }
  }
}

function actionsJson(actions: readonly StoredAction[]): string {
  const object: Record<string, [number, number]> = {};
  for (const a of actions) object[a.name] = [a.due, a.done ? 1 : 0];
  return JSON.stringify(object);
}

function parseActions(text: string): StoredAction[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const entries =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value)
      : undefined;
  const valid = entries?.every(
    ([, v]) => Array.isArray(v) && typeof v[0] === 'number' && (v[1] === 0 || v[1] === 1),
  );
  if (entries === undefined || !valid)
    throw new Error(`triggers.actions holds ${JSON.stringify(text)}, not a map of actions`);
  return entries.map(([name, v]) => ({
    name,
    due: (v as number[])[0]!,
    done: (v as number[])[1] === 1,
  }));
}

/** SQLite's own errors on a read-only directory are vague ("disk I/O error"): say it first. */
function checkWritable(directory: string, path: string): void {
  try {
    accessSync(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      EROFS: `the file system of ${directory} is read-only`,
      EACCES: `${directory} is not writable by this user`,
      ENOENT: `${directory} does not exist`,
    };
    const reason = (code === undefined ? undefined : reasons[code]) ?? (error as Error).message;
    throw new StateError(`cannot open state file ${path}: ${reason}`, { cause: error });
  }
}

/** A JSON list stored in a column; anything else means the file was damaged or edited. */
function parseList(text: string, column: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value)) throw new Error(`${column} holds ${JSON.stringify(text)}, not a list`);
  return value;
}

function checkIdentity(db: Database.Database, path: string): void {
  const id = db.pragma('application_id', { simple: true }) as number;
  const tables = db
    .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
    .get() as { n: number };
  if (id === APPLICATION_ID) {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StateError(
        `cannot open state file ${path}: it was written by a newer riposte (schema ${version}); upgrade riposte or move the file away`,
      );
    }
    // A damaged page would fail later, after riposte had begun to write to the file.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StateError(`cannot open state file ${path}: ${CORRUPT}`);
    return;
  }
  if (id !== 0 || tables.n > 0) {
    throw new StateError(
      `cannot open state file ${path}: it is an SQLite database that riposte did not write; riposte will not overwrite it: move it away or set another state_directory`,
    );
  }
}

const CORRUPT =
  'the database is corrupt; riposte will not overwrite it: move it away (sqlite3 .recover may save its content)';

function openError(path: string, error: unknown): StateError {
  if (error instanceof StateError) return error;
  const e = error as { code?: string; message: string };
  const reasons: Record<string, string> = {
    SQLITE_NOTADB:
      "it is not an SQLite database (corrupt, or another program's file); riposte will not overwrite it: move it away",
    SQLITE_CORRUPT: CORRUPT,
    SQLITE_CANTOPEN: 'the directory does not exist or is not writable',
    SQLITE_READONLY: 'the file or its directory is read-only',
    SQLITE_FULL: 'the disk is full',
    SQLITE_IOERR: 'input/output error',
    SQLITE_BUSY: 'another process holds it: is riposte already running with this state_directory?',
  };
  const code = Object.keys(reasons).find((c) => e.code?.startsWith(c));
  const reason = code === undefined ? e.message : reasons[code]!;
  return new StateError(`cannot open state file ${path}: ${reason}`, { cause: error });
}
