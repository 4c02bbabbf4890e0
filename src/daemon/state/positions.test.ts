// Where the file and journal streams resume, as the Store keeps it: committed only with the
// counts (a commit of every write), read back after a restart, forgotten on demand, and a
// damaged row left out with a warning rather than stopping riposte.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { configureLog } from '../../lib/log.js';
import { openDatabase } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'rpos-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function stored(dir: string): Map<string, unknown> {
  const store = Store.open(dir);
  try {
    return store.loadPositions();
  } finally {
    store.close();
  }
}

test('a position is written with the counts, not by a commit of triggers alone', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  const counts = store.countsOf('s', 'f', () => ({ times: [1], lines: ['x'] }));
  counts.changed('192.0.2.1', ['192.0.2.1']);
  store.positions.set('auth', { files: [{ path: '/var/log/auth.log', offset: 10 }] });
  store.commit(false);
  assert.deepEqual(store.loadPositions(), new Map());
  store.commit();
  assert.deepEqual(
    store.loadPositions(),
    new Map([['auth', { files: [{ path: '/var/log/auth.log', offset: 10 }] }]]),
  );
  store.close();
});

test('positions are read back after a restart; the last one reported wins; undefined forgets', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.positions.set('journal', { cursor: 'a' });
  store.positions.set('journal', { cursor: 'b' });
  store.positions.set('auth', { offset: 1 });
  store.close();
  assert.deepEqual(
    stored(dir),
    new Map<string, unknown>([
      ['auth', { offset: 1 }],
      ['journal', { cursor: 'b' }],
    ]),
  );
  const again = Store.open(dir);
  again.positions.set('auth', undefined);
  again.close();
  assert.deepEqual(stored(dir), new Map([['journal', { cursor: 'b' }]]));
});

test('a position that is not JSON is left out with a warning', (t) => {
  const dir = directory(t);
  Store.open(dir).close();
  const db = openDatabase(join(dir, STATE_FILE));
  db.prepare('INSERT INTO stream_positions VALUES (?, ?)').run('auth', '{broken');
  db.prepare('INSERT INTO stream_positions VALUES (?, ?)').run('ok', '{"cursor":"c"}');
  db.close();
  const logged: string[] = [];
  configureLog({ level: 'WARN', sink: (line) => logged.push(line) });
  t.after(() => configureLog({ level: 'ERROR' }));
  assert.deepEqual(stored(dir), new Map([['ok', { cursor: 'c' }]]));
  assert.equal(logged.length, 1);
  assert.match(
    logged[0]!,
    /the position of stream "auth" cannot be read \("\{broken"\); the stream starts as if it had none/,
  );
});
