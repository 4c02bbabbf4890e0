// The state file on a real file system: an empty or truncated file refused by name, a new
// file never seen half made, modes 0600 whatever the umask, a file of the current schema
// opened without a byte written to it.

import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import { createStateFile, creatingPath } from './file.js';
import { STATE_FILE, Store } from './store.js';

let dir: string;
let logged: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-state-'));
  logged = [];
  configureLog({ level: 'WARN', stamped: false, sink: (line) => logged.push(line) });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A state file with one trigger, closed cleanly. */
function made(): string {
  const store = Store.open(dir);
  store.addTrigger({
    id: 1,
    stream: 's',
    filter: 'f',
    values: ['192.0.2.1'],
    time: 1000,
    actions: [{ name: 'unban', due: 2000, done: false }],
    lines: [],
  });
  store.close();
  return join(dir, STATE_FILE);
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe('Store.open()', () => {
  test('refuses an empty riposte.db, naming it, and leaves it as it is', () => {
    const path = join(dir, STATE_FILE);
    writeFileSync(path, '');
    assert.throws(
      () => Store.open(dir),
      (e: Error) =>
        e instanceof StateError &&
        e.message.startsWith(`cannot open state file ${path}: it is empty (0 bytes)`),
    );
    assert.equal(statSync(path).size, 0);
    assert.equal(existsSync(`${path}-wal`), false);
  });

  test('refuses a truncated riposte.db, naming it', () => {
    const path = made();
    const size = statSync(path).size;
    truncateSync(path, size - 4096);
    assert.throws(
      () => Store.open(dir),
      (e: Error) =>
        e instanceof StateError &&
        e.message ===
          `cannot open state file ${path}: it is truncated (${size - 4096} bytes where its header says ${size}); riposte will not overwrite it: move it away (sqlite3 .recover may save its content)`,
    );
  });

  test('a new file never has its name before it is laid out: a failed layout leaves no riposte.db', () => {
    const path = join(dir, STATE_FILE);
    assert.throws(
      () =>
        createStateFile(path, (db) => {
          db.exec('CREATE TABLE half (x)');
          throw new Error('killed here');
        }),
      /killed here/,
    );
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(creatingPath(path)), false);
  });

  test('replaces what a start killed while it laid a new file out left under the other name', () => {
    const path = join(dir, STATE_FILE);
    writeFileSync(creatingPath(path), '');
    const store = Store.open(dir);
    assert.deepEqual(store.load(), { triggers: [], counts: [] });
    store.close();
    assert.equal(existsSync(creatingPath(path)), false);
  });

  test('writes riposte.db and its write-ahead log with mode 0600, whatever the umask', () => {
    const umask = process.umask(0);
    try {
      const store = Store.open(dir);
      store.addTrigger({
        id: 1,
        stream: 's',
        filter: 'f',
        values: ['192.0.2.1'],
        time: 1000,
        actions: [],
        lines: [],
      });
      store.commit();
      const path = join(dir, STATE_FILE);
      assert.deepEqual([mode(path), mode(`${path}-wal`)], ['600', '600']);
      store.close();
    } finally {
      process.umask(umask);
    }
  });

  test('makes an existing riposte.db that others could read private, and says so', () => {
    const path = made();
    chmodSync(path, 0o644);
    Store.open(dir).close();
    assert.equal(mode(path), '600');
    assert.deepEqual(logged, [
      `WARN  state: ${path} was open to other users (mode 0644): made 0600\n`,
    ]);
  });

  test('warns about a state directory that others can write to', () => {
    chmodSync(dir, 0o777);
    Store.open(dir).close();
    assert.deepEqual(logged, [
      `WARN  state: ${dir} is writable by other users (mode 0777), who could replace the state file: make it 0700\n`,
    ]);
  });

  test('changes no byte of a file of the current schema (a full disk does not stop a restart)', () => {
    const path = made();
    const before = readFileSync(path);
    const store = Store.open(dir);
    assert.equal(store.load().triggers.length, 1);
    store.close();
    assert.deepEqual(readFileSync(path), before);
  });
});
