// The SQLite binding's failures in riposte's words: a file that cannot be opened, damaged
// pages, a file another process holds (refused at once, not after a wait), a full disk told
// from other write errors; each error names the file and keeps SQLite's as its cause.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import { isFullError, openDatabase, openError } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

configureLog({ level: 'ERROR' });

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-sqlite-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An error as the binding throws it: SQLite's message and its (extended) code. */
function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A trigger with nothing pending: enough to give the file a row. */
const A_TRIGGER = {
  id: 1,
  stream: 's',
  filter: 'f',
  values: ['v'],
  time: 1,
  actions: [],
  lines: [],
};

test('openError() says in riposte’s words why each kind of SQLite failure stops an open', () => {
  const rows: readonly [string, string][] = [
    ['SQLITE_CANTOPEN', 'the directory does not exist or is not writable'],
    ['SQLITE_CANTOPEN_ISDIR', 'the directory does not exist or is not writable'],
    ['SQLITE_READONLY', 'the file or its directory is read-only'],
    ['SQLITE_READONLY_DBMOVED', 'the file or its directory is read-only'],
    ['SQLITE_FULL', 'the disk is full'],
    ['SQLITE_IOERR_SHORT_READ', 'input/output error'],
    ['SQLITE_CORRUPT_INDEX', 'the database is corrupt; riposte will not overwrite it: move it'],
    ['SQLITE_NOTADB', "it is not an SQLite database (corrupt, or another program's file)"],
    ['SQLITE_BUSY_SNAPSHOT', 'another process holds it: is riposte already running'],
    ['SQLITE_MISUSE', 'bad parameter or other API misuse'],
  ];
  for (const [code, reason] of rows) {
    const cause = sqliteError(code, 'bad parameter or other API misuse');
    const error = openError('/var/lib/riposte/riposte.db', cause);
    assert.ok(error instanceof StateError, code);
    assert.ok(
      error.message.startsWith(`cannot open state file /var/lib/riposte/riposte.db: ${reason}`),
      `${code}: ${error.message}`,
    );
    assert.equal(error.cause, cause, code);
  }
});

test('openError() passes a StateError through as it is', () => {
  const error = new StateError('cannot open state file x: it is empty (0 bytes)');
  assert.equal(openError('x', error), error);
});

test('openDatabase() refuses a directory in the file’s place, naming it', (t) => {
  const path = join(directory(t), 'riposte.db');
  mkdirSync(path);
  assert.throws(
    () => openDatabase(path).pragma('user_version'),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot open state file ${path}: the directory does not exist or is not writable` &&
      (error.cause as { code?: string }).code?.startsWith('SQLITE_CANTOPEN') === true,
  );
});

test('Store.open() refuses a file with damaged pages as corrupt, and leaves it as it is', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(A_TRIGGER);
  store.close();
  const path = join(dir, STATE_FILE);
  const bytes = readFileSync(path);
  // Page 1 holds the header and the schema; the tables' pages come after it.
  bytes.fill(0xa5, 4096);
  writeFileSync(path, bytes);
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot open state file ${path}: the database is corrupt; riposte will not overwrite it: move it away (sqlite3 .recover may save its content)`,
  );
  assert.deepEqual(readFileSync(path), bytes);
});

test('Store.open() refuses at once a file that another Store holds: it does not wait for the lock', (t) => {
  const dir = directory(t);
  const first = Store.open(dir);
  t.after(() => first.close());
  first.addTrigger(A_TRIGGER);
  first.commit();
  const started = performance.now();
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot open state file ${join(dir, STATE_FILE)}: another process holds it: is riposte already running with this state_directory?`,
  );
  // SQLite's default is to retry for 5 s; refused at once takes milliseconds.
  const waited = performance.now() - started;
  assert.ok(waited < 4000, `refused after ${Math.round(waited)} ms`);
});

test('isFullError() tells a full disk from any other failure', () => {
  assert.equal(isFullError(sqliteError('SQLITE_FULL', 'database or disk is full')), true);
  assert.equal(isFullError(sqliteError('SQLITE_IOERR', 'disk I/O error')), false);
  assert.equal(isFullError(new Error('no code')), false);
});
