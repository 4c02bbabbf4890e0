// The layout of `riposte.db`: its tables, the marks that tell it from any other SQLite file,
// the schema version and the steps from each version to the next. Receives a Db: a new file
// to lay out, or an existing one to check (riposte's, readable, not newer) and bring up to
// date, each step of one open in one transaction.

import { StateError } from '../../lib/errors.js';
import { CLUSTER_TABLES } from './cluster.js';
import { entriesFromCountRows } from './count-entries.js';
import { POSITION_TABLE } from './positions.js';
import { corruptError, type Db } from './sqlite.js';

/** "RPST": tells a riposte state file from any other SQLite file. */
const APPLICATION_ID = 0x52505354;

/** Version 1. A trigger is one row; its actions a JSON object of name → [due, done (0 or 1)]. */
const TABLES = `
  CREATE TABLE triggers (
    id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL,
    match TEXT NOT NULL, time INTEGER NOT NULL, actions TEXT NOT NULL);
  CREATE TABLE counts (
    stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL, times TEXT NOT NULL,
    PRIMARY KEY (stream, filter, match)) WITHOUT ROWID;
`;

/**
 * One step per schema change: MIGRATIONS[i] takes a file from version i + 1 to i + 2. A new
 * file is laid out as version 1 and taken through every step, so each step also runs on
 * every fresh file. Steps are never edited once released: a change is a new step.
 */
export type Migration = (db: Db) => void;
export const MIGRATIONS: readonly Migration[] = [
  // 1 → 2: ban sharing's outbox, position and per-peer marks (state/cluster.ts).
  (db) => db.exec(CLUSTER_TABLES),
  // 2 → 3: the log lines that counted toward a trigger or a count (a JSON list each), and
  // the history of the triggers that ended, for `riposte why`.
  (db) =>
    db.exec(`
      ALTER TABLE triggers ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE counts ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE history (
        id INTEGER PRIMARY KEY, stream TEXT NOT NULL, filter TEXT NOT NULL, match TEXT NOT NULL,
        time INTEGER NOT NULL, ended INTEGER NOT NULL, how TEXT NOT NULL, lines TEXT NOT NULL);
    `),
  // 3 → 4: where the file and journal streams resume (state/positions.ts).
  (db) => db.exec(POSITION_TABLE),
  // 4 → 5: a count as a row of its match and a row per entry (state/count-entries.ts), so
  // that a commit writes what was added to a count, not the whole count again.
  entriesFromCountRows,
];
export const SCHEMA_VERSION = MIGRATIONS.length + 1;

/** Lays out a new, empty file: version 1, then every step. */
export function createSchema(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  // Before the journal mode: switching to WAL writes the file's header, after which SQLite
  // ignores a change of auto_vacuum (and compaction would give nothing back).
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.transaction(() => {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(TABLES);
    db.pragma('user_version = 1');
  });
  migrate(db, migrations);
}

/**
 * Makes an existing file ready: it must be riposte's, of a version this riposte reads, and
 * undamaged; an older one is brought up to date. Nothing is written to a file of the current
 * version, so that riposte can start on a full disk.
 */
export function openSchema(
  db: Db,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  checkIdentity(db, path, migrations.length + 1);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  migrate(db, migrations);
}

/** Runs the steps from the file's version to the last one, all in one transaction. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  const from = db.pragma('user_version') as number;
  const to = migrations.length + 1;
  if (from >= to) return;
  db.transaction(() => {
    for (let version = from; version < to; version++) migrations[version - 1]!(db);
    db.pragma(`user_version = ${to}`);
  });
}

function checkIdentity(db: Db, path: string, current: number): void {
  // riposte lays a file out before it takes its name: a file without the mark is not one of
  // its own, even an empty SQLite database.
  if ((db.pragma('application_id') as number) !== APPLICATION_ID) {
    throw new StateError(
      `cannot open state file ${path}: it is an SQLite database that riposte did not write; riposte will not overwrite it: move it away or set another state_directory`,
    );
  }
  const version = db.pragma('user_version') as number;
  if (version < 1) throw corruptError(path);
  if (version > current) {
    throw new StateError(
      `cannot open state file ${path}: it was written by a newer riposte (schema ${version}); upgrade riposte or move the file away`,
    );
  }
  // A damaged page would fail later, after riposte had begun to write to the file.
  if (db.pragma('quick_check') !== 'ok') throw corruptError(path);
}
