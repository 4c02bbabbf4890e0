// The SQLite binding behind a small interface: the only user of better-sqlite3. Owns the
// opening of a database file (exclusive lock, no waiting) and turns the binding's errors
// into riposte's words. Receives a path; sends a Db that the other state files use.

import Database from 'better-sqlite3';
import { StateError } from '../../lib/errors.js';

export interface Statement {
  run(...params: unknown[]): void;
  all(...params: unknown[]): unknown[];
}

export interface Db {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  /** A pragma's single value (`user_version`), or undefined for one that sets. */
  pragma(sql: string): unknown;
  /** Runs `work` in one transaction: all of it is durable, or none of it. */
  transaction(work: () => void): void;
  close(): void;
}

/**
 * Opens (or creates) a database file, locked for this process alone: a second daemon on the
 * same state directory would write over the first one's triggers.
 */
export function openDatabase(path: string): Db {
  let db: Database.Database;
  try {
    // No waiting for locks: no other process has any business with the file.
    db = new Database(path, { fileMustExist: false, timeout: 0 });
  } catch (error) {
    throw openError(path, error);
  }
  const wrapped: Db = {
    prepare: (sql) => {
      const statement = db.prepare(sql);
      return {
        run: (...params) => void statement.run(...params),
        all: (...params) => statement.all(...params),
      };
    },
    exec: (sql) => void db.exec(sql),
    pragma: (sql) => db.pragma(sql, { simple: true }),
    transaction: (work) => db.transaction(work)(),
    close: () => db.close(),
  };
  try {
    db.pragma('locking_mode = EXCLUSIVE');
  } catch (error) {
    db.close();
    throw openError(path, error);
  }
  return wrapped;
}

/** Whether a failed write failed for lack of room on the file system. */
export function isFullError(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'SQLITE_FULL';
}

const CORRUPT =
  'the database is corrupt; riposte will not overwrite it: move it away (sqlite3 .recover may save its content)';

export function corruptError(path: string): StateError {
  return new StateError(`cannot open state file ${path}: ${CORRUPT}`);
}

/** A failure while opening, in riposte's words (SQLite's own are vague: "disk I/O error"). */
export function openError(path: string, error: unknown): StateError {
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
