// The persistent state, in one SQLite file: the only user of the SQLite binding. Owns the
// database. Receives writes from the filters (counts) and the scheduler (triggers and their
// actions); queues them and commits them in one transaction per event-loop turn (counts at
// least once a second), then tells waiting callers that their writes are durable.

import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StateError } from '../lib/errors.js';
import { log } from '../lib/log.js';

export const STATE_FILE = 'riposte.db';
/** "RPST": tells a riposte state file from any other SQLite file. */
const APPLICATION_ID = 0x52505354;
const SCHEMA_VERSION = 1;
const COUNT_DELAY = 1000;

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

export interface StoredCount {
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly times: readonly number[];
}

type Write =
  | { readonly op: 'trigger'; readonly trigger: StoredTrigger }
  | { readonly op: 'due'; readonly trigger: number; readonly action: string; readonly due: number }
  | { readonly op: 'done'; readonly trigger: number; readonly action: string }
  | { readonly op: 'forget'; readonly trigger: number };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS triggers (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL,
    match TEXT NOT NULL, time INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS actions (
    trigger INTEGER NOT NULL, name TEXT NOT NULL, due INTEGER NOT NULL, done INTEGER NOT NULL,
    PRIMARY KEY (trigger, name)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS counts (
    stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL, times TEXT NOT NULL,
    PRIMARY KEY (stream, filter, match)) WITHOUT ROWID;
`;

export class Store {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #writes: Write[] = [];
  /** Latest times per count key ("stream\0filter\0match"); empty times delete the row. */
  readonly #counts = new Map<string, readonly number[]>();
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #failing = false;
  readonly #statements;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#statements = {
      trigger: db.prepare(
        'INSERT OR REPLACE INTO triggers (id, stream, filter, match, time) VALUES (?, ?, ?, ?, ?)',
      ),
      action: db.prepare(
        'INSERT OR REPLACE INTO actions (trigger, name, due, done) VALUES (?, ?, ?, ?)',
      ),
      due: db.prepare('UPDATE actions SET due = ? WHERE trigger = ? AND name = ?'),
      done: db.prepare('UPDATE actions SET done = 1 WHERE trigger = ? AND name = ?'),
      forgetTrigger: db.prepare('DELETE FROM triggers WHERE id = ?'),
      forgetActions: db.prepare('DELETE FROM actions WHERE trigger = ?'),
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
      .prepare('SELECT id, stream, filter, match, time FROM triggers ORDER BY id')
      .all() as {
      id: number;
      stream: string;
      filter: string;
      match: string;
      time: number;
    }[];
    const actions = this.#db
      .prepare('SELECT trigger, name, due, done FROM actions ORDER BY trigger, name')
      .all() as {
      trigger: number;
      name: string;
      due: number;
      done: number;
    }[];
    const byTrigger = new Map<number, StoredAction[]>();
    for (const a of actions) {
      const list = byTrigger.get(a.trigger) ?? [];
      list.push({ name: a.name, due: a.due, done: a.done === 1 });
      byTrigger.set(a.trigger, list);
    }
    const triggers = rows.map((r) => ({
      id: r.id,
      stream: r.stream,
      filter: r.filter,
      values: parseList(r.match, 'triggers.match') as string[],
      time: r.time,
      actions: byTrigger.get(r.id) ?? [],
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

  addTrigger(trigger: StoredTrigger): void {
    this.#urgent({ op: 'trigger', trigger });
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#urgent({ op: 'due', trigger, action, due });
  }

  setDone(trigger: number, action: string): void {
    this.#urgent({ op: 'done', trigger, action });
  }

  forgetTrigger(trigger: number): void {
    this.#urgent({ op: 'forget', trigger });
  }

  /** Records the recent match times of a match; an empty list forgets it. Written within a second. */
  setCount(
    stream: string,
    filter: string,
    values: readonly string[],
    times: readonly number[],
  ): void {
    this.#counts.set(`${stream}\0${filter}\0${JSON.stringify(values)}`, times);
    this.#timer ??= setTimeout(() => this.commit(), COUNT_DELAY);
  }

  /** Runs `callback` once every write queued so far is durable (or failed and was logged). */
  afterCommit(callback: () => void): void {
    this.#waiting.push(callback);
    this.#immediate ??= setImmediate(() => this.commit());
  }

  /** Commits every queued write now, in one transaction, then calls the waiting callbacks. */
  commit(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    if (this.#writes.length > 0 || this.#counts.size > 0) this.#write();
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
    this.#db.exec('DELETE FROM actions WHERE trigger NOT IN (SELECT id FROM triggers)');
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
          .prepare(
            'DELETE FROM actions WHERE trigger IN (SELECT id FROM triggers WHERE stream = ? AND filter = ?)',
          )
          .run(f.stream, f.filter);
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

  #urgent(write: Write): void {
    this.#writes.push(write);
    this.#immediate ??= setImmediate(() => this.commit());
  }

  #write(): void {
    const writes = this.#writes.splice(0);
    const counts = [...this.#counts];
    this.#counts.clear();
    try {
      this.#db.transaction(() => this.#apply(writes, counts))();
      if (this.#failing) log('INFO', `state: writing to ${this.path} works again`);
      this.#failing = false;
    } catch (error) {
      this.#writes.unshift(...writes);
      for (const [key, times] of counts) if (!this.#counts.has(key)) this.#counts.set(key, times);
      if (!this.#failing) {
        log(
          'ERROR',
          `state: cannot write ${this.path}: ${(error as Error).message}; bans and unbans go on in memory and the writes are kept to retry, but a restart now would lose them`,
        );
      }
      this.#failing = true;
      this.#timer ??= setTimeout(() => this.commit(), COUNT_DELAY);
    }
  }

  #apply(writes: readonly Write[], counts: readonly [string, readonly number[]][]): void {
    const s = this.#statements;
    for (const w of writes) {
      switch (w.op) {
        case 'trigger': {
          const t = w.trigger;
          s.trigger.run(t.id, t.stream, t.filter, JSON.stringify(t.values), t.time);
          for (const a of t.actions) s.action.run(t.id, a.name, a.due, a.done ? 1 : 0);
          break;
        }
        case 'due':
          s.due.run(w.due, w.trigger, w.action);
          break;
        case 'done':
          s.done.run(w.trigger, w.action);
          break;
        case 'forget':
          s.forgetActions.run(w.trigger);
          s.forgetTrigger.run(w.trigger);
          break;
      }
    }
    for (const [key, times] of counts) {
      const [stream = '', filter = '', match = ''] = key.split('\0');
      if (times.length === 0) s.deleteCount.run(stream, filter, match);
      else s.putCount.run(stream, filter, match, JSON.stringify(times));
    }
  }
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
