// The layout of `riposte.db`: its tables, the marks that tell it from any other SQLite file,
// and the schema version. Receives a freshly opened Db; checks, before anything is written,
// that the file is riposte's and readable, then creates what is missing.

import { StateError } from '../../lib/errors.js';
import { corruptError, type Db } from './sqlite.js';

/** "RPST": tells a riposte state file from any other SQLite file. */
const APPLICATION_ID = 0x52505354;
export const SCHEMA_VERSION = 1;

/** A trigger is one row; its actions a JSON object of name → [due, done (0 or 1)]. */
const TABLES = `
  CREATE TABLE IF NOT EXISTS triggers (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL,
    match TEXT NOT NULL, time INTEGER NOT NULL, actions TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS counts (
    stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL, times TEXT NOT NULL,
    PRIMARY KEY (stream, filter, match)) WITHOUT ROWID;
`;

/**
 * Makes an opened file ready: an existing one must be riposte's, of a version this riposte
 * reads, and undamaged; a file riposte cannot trust is left as it is.
 */
export function prepareSchema(db: Db, path: string, fresh: boolean): void {
  if (!fresh) checkIdentity(db, path);
  // Before the journal mode: switching to WAL writes the file's header, after which SQLite
  // ignores a change of auto_vacuum (and compaction would give nothing back).
  if (fresh) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  db.exec(TABLES);
}

function checkIdentity(db: Db, path: string): void {
  const id = db.pragma('application_id') as number;
  const tables = db
    .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
    .all()[0] as {
    n: number;
  };
  if (id === APPLICATION_ID) {
    const version = db.pragma('user_version') as number;
    if (version > SCHEMA_VERSION) {
      throw new StateError(
        `cannot open state file ${path}: it was written by a newer riposte (schema ${version}); upgrade riposte or move the file away`,
      );
    }
    // A damaged page would fail later, after riposte had begun to write to the file.
    if (db.pragma('quick_check') !== 'ok') throw corruptError(path);
    return;
  }
  if (id !== 0 || tables.n > 0) {
    throw new StateError(
      `cannot open state file ${path}: it is an SQLite database that riposte did not write; riposte will not overwrite it: move it away or set another state_directory`,
    );
  }
}
