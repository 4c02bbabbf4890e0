// The schema's steps from one version to the next, on real files: a version-1 file taken to
// the last version in one transaction, a failing step leaving the file as it was, a file of
// a newer version refused, a new file laid out through every step, and the step that turns a
// version-4 file's counts into entries.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { createStateFile } from './file.js';
import {
  createSchema,
  MIGRATIONS,
  type Migration,
  migrate,
  openSchema,
  SCHEMA_VERSION,
} from './schema.js';
import { type Db, openDatabase } from './sqlite.js';
import { Store } from './store.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-schema-'));
  path = join(dir, 'riposte.db');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A version-1 file holding one trigger, as the first riposte wrote it. */
function versionOne(): void {
  createStateFile(path, (db) => createSchema(db, []));
  withDb((db) =>
    db
      .prepare(
        "INSERT INTO triggers (id, stream, filter, match, time, actions) VALUES (1, 's', 'f', '[\"192.0.2.1\"]', 1000, '{}')",
      )
      .run(),
  );
}

function withDb<T>(f: (db: Db) => T): T {
  const db = openDatabase(path);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

function tables(db: Db): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

const ADD_BANS: Migration = (db) => db.exec('CREATE TABLE bans (ip TEXT PRIMARY KEY)');
const FILL_BANS: Migration = (db) =>
  db.exec("INSERT INTO bans SELECT json_extract(match, '$[0]') FROM triggers");

describe('schema migrations', () => {
  test('migrate() takes a version-1 file through every step to the last version', () => {
    versionOne();
    withDb((db) => {
      openSchema(db, path, [ADD_BANS, FILL_BANS]);
      assert.equal(db.pragma('user_version'), 3);
      assert.deepEqual(db.prepare('SELECT ip FROM bans').all(), [{ ip: '192.0.2.1' }]);
    });
  });

  test('migrate() runs all its steps in one transaction: a failing step leaves the file at its version', () => {
    versionOne();
    const failing: Migration = () => {
      throw new Error('step 3 fails');
    };
    withDb((db) => {
      assert.throws(() => migrate(db, [ADD_BANS, failing]), /step 3 fails/);
      assert.equal(db.pragma('user_version'), 1);
      assert.deepEqual(tables(db), ['counts', 'triggers']);
    });
  });

  test('openSchema() refuses a file of a newer schema than its steps reach', () => {
    versionOne();
    withDb((db) => migrate(db, [ADD_BANS]));
    withDb((db) =>
      assert.throws(
        () => openSchema(db, path, []),
        (e: Error) =>
          e instanceof StateError &&
          e.message ===
            `cannot open state file ${path}: it was written by a newer riposte (schema 2); upgrade riposte or move the file away`,
      ),
    );
  });

  test('a new file is laid out as version 1 and taken through every step', () => {
    createStateFile(path, (db) => createSchema(db, [ADD_BANS]));
    withDb((db) => {
      assert.equal(db.pragma('user_version'), 2);
      assert.deepEqual(tables(db), ['bans', 'counts', 'triggers']);
    });
  });

  test("riposte's own file is at the current version", () => {
    createStateFile(path, (db) => createSchema(db));
    withDb((db) => assert.equal(db.pragma('user_version'), SCHEMA_VERSION));
  });

  test('step 4 → 5 turns each count row of a version-4 file into its entries, read back as they were', () => {
    versionFour([
      ['s', 'f', '["192.0.2.1"]', '[30,10,20]', '["c","a","b"]'],
      ['s', 'f', '["a b","2001:db8::1"]', '[5,6]', '["x"]'],
      ['s', 'g', '["192.0.2.1"]', '[]', '[]'],
    ]);
    const store = Store.open(dir);
    try {
      assert.deepEqual(store.load().counts, [
        {
          stream: 's',
          filter: 'f',
          values: ['192.0.2.1'],
          times: [10, 20, 30],
          lines: ['a', 'b', 'c'],
        },
        {
          stream: 's',
          filter: 'f',
          values: ['a b', '2001:db8::1'],
          times: [5, 6],
          lines: ['x', ''],
        },
      ]);
    } finally {
      store.close();
    }
    withDb((db) => {
      assert.equal(db.pragma('user_version'), SCHEMA_VERSION);
      assert.equal(tables(db).includes('counts'), false);
    });
  });

  test('step 4 → 5 refuses a damaged count row, and the file stays at version 4', () => {
    versionFour([['s', 'f', '["192.0.2.1"]', '[1,"two"]', '["a","b"]']]);
    assert.throws(
      () => Store.open(dir).close(),
      (e: Error) =>
        e instanceof StateError &&
        e.message ===
          `cannot open state file ${path}: counts.times holds "[1,\\"two\\"]", not a list of times`,
    );
    withDb((db) => assert.equal(db.pragma('user_version'), 4));
  });
});

/** A file at version 4, the last whose counts were one row per match, holding these rows. */
function versionFour(counts: [string, string, string, string, string][]): void {
  createStateFile(path, (db) => createSchema(db, MIGRATIONS.slice(0, 3)));
  withDb((db) => {
    assert.equal(db.pragma('user_version'), 4);
    const insert = db.prepare(
      'INSERT INTO counts (stream, filter, match, times, lines) VALUES (?, ?, ?, ?, ?)',
    );
    for (const row of counts) insert.run(...row);
  });
}
