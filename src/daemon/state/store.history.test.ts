// The history of triggers that ended, as `riposte why` reads it from the Store on a real
// file: what a forget with an end writes (for a row already written or not yet), read back
// by time and filter after a restart, pruned by age and by number, and a damaged row named.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import type { StoredTrigger } from './records.js';
import { openDatabase } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

configureLog({ level: 'ERROR' });

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function trigger(id: number, filter = 'f'): StoredTrigger {
  return {
    id,
    stream: 's',
    filter,
    values: [`192.0.2.${id}`, 'ssh'],
    time: 100 * id,
    actions: [{ name: 'unban', due: 100 * id + 50, done: false }],
    lines: [`failed from 192.0.2.${id}`, 'again'],
  };
}

/** The Store of a directory opened again, as a restart does; closed at the test's end. */
function reopened(t: TestContext, dir: string, store: Store, history?: boolean): Store {
  store.close();
  const again = Store.open(dir, history === undefined ? {} : { history });
  t.after(() => again.close());
  return again;
}

const all = (): boolean => true;
const ends = (store: Store, since = 0): number[] =>
  store.history(since, all).map((p) => p.ended.time);

test('Store.history() gives back, after a restart, a trigger that ended once its row was written', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.commit();
  store.forgetTrigger(1, { time: 170, how: 'flushed' });
  const again = reopened(t, dir, store);
  assert.deepEqual(again.history(0, all), [
    {
      stream: 's',
      filter: 'f',
      values: ['192.0.2.1', 'ssh'],
      time: 100,
      ended: { time: 170, how: 'flushed' },
      lines: ['failed from 192.0.2.1', 'again'],
    },
  ]);
  assert.deepEqual(again.load().triggers, []);
});

test('Store.history() gives back a trigger that ended before its row was written', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(2));
  store.forgetTrigger(2, { time: 260, how: 'replaced' });
  const again = reopened(t, dir, store);
  assert.deepEqual(again.history(0, all), [
    {
      stream: 's',
      filter: 'f',
      values: ['192.0.2.2', 'ssh'],
      time: 200,
      ended: { time: 260, how: 'replaced' },
      lines: ['failed from 192.0.2.2', 'again'],
    },
  ]);
  assert.deepEqual(again.load().triggers, []);
});

test('Store keeps in its history no trigger forgotten without an end, written or not', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.commit();
  store.forgetTrigger(1);
  store.addTrigger(trigger(2));
  store.forgetTrigger(2);
  const again = reopened(t, dir, store);
  assert.deepEqual(again.history(0, all), []);
  assert.deepEqual(again.load().triggers, []);
});

test('Store opened with history: false keeps no trigger that ended, and forgets it all the same', (t) => {
  const dir = directory(t);
  const store = Store.open(dir, { history: false });
  store.addTrigger(trigger(1));
  store.commit();
  store.forgetTrigger(1, { time: 150, how: 'done' });
  store.addTrigger(trigger(2));
  store.forgetTrigger(2, { time: 250, how: 'done' });
  const again = reopened(t, dir, store, false);
  assert.deepEqual(again.history(0, all), []);
  assert.deepEqual(again.load().triggers, []);
});

test('Store.history() gives the ends from `since` on, oldest first, of the matches `select` keeps', (t) => {
  const store = Store.open(directory(t));
  t.after(() => store.close());
  for (const [id, filter, end] of [
    [1, 'f', 30],
    [2, 'g', 10],
    [3, 'f', 20],
    [4, 'f', 20],
  ] as const) {
    store.addTrigger(trigger(id, filter));
    store.forgetTrigger(id, { time: end, how: 'done' });
  }
  store.commit();
  const seen: string[] = [];
  const kept = store.history(20, (stream, filter, values) => {
    seen.push(`${stream}.${filter} ${values.join(' ')}`);
    return filter === 'f' && values[0] !== '192.0.2.4';
  });
  assert.deepEqual(
    kept.map((p) => [p.values[0], p.ended.time]),
    [
      ['192.0.2.3', 20],
      ['192.0.2.1', 30],
    ],
  );
  assert.deepEqual(seen, ['s.f 192.0.2.3 ssh', 's.f 192.0.2.4 ssh', 's.f 192.0.2.1 ssh']);
  assert.deepEqual(ends(store, 21), [30]);
  assert.deepEqual(ends(store, 31), []);
});

test('Store.pruneHistory() drops the entries that ended before `oldest`, then the oldest beyond `most`', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  for (const [id, end] of [
    [1, 10],
    [2, 20],
    [3, 30],
    [4, 40],
    [5, 50],
  ] as const) {
    store.addTrigger(trigger(id));
    store.forgetTrigger(id, { time: end, how: 'done' });
  }
  store.commit();
  store.pruneHistory(20, 100);
  store.commit();
  assert.deepEqual(ends(store), [20, 30, 40, 50]);
  store.pruneHistory(0, 3);
  const again = reopened(t, dir, store);
  assert.deepEqual(ends(again), [30, 40, 50]);
});

test('Store.pruneHistory() is committed within a second, with nothing else to write', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const store = Store.open(directory(t));
  t.after(() => store.close());
  store.addTrigger(trigger(1));
  store.forgetTrigger(1, { time: 10, how: 'done' });
  store.commit();
  store.pruneHistory(11, 100);
  t.mock.timers.tick(999);
  assert.deepEqual(ends(store), [10]);
  t.mock.timers.tick(1);
  assert.deepEqual(ends(store), []);
});

test('Store.history() refuses a damaged row, naming the file and the column', (t) => {
  const rows: readonly [string, string][] = [
    ["how = 'banned'", 'history.how holds "banned"'],
    ["lines = '[1]'", 'history.lines holds "[1]", not a list of lines'],
    ["match = 'x'", 'history.match holds "x", not a list'],
  ];
  for (const [set, why] of rows) {
    const dir = directory(t);
    const path = join(dir, STATE_FILE);
    const store = Store.open(dir);
    store.addTrigger(trigger(1));
    store.forgetTrigger(1, { time: 10, how: 'done' });
    store.close();
    const db = openDatabase(path);
    db.exec(`UPDATE history SET ${set}`);
    db.close();
    const again = Store.open(dir);
    assert.throws(
      () => again.history(0, all),
      (error: Error) =>
        error instanceof StateError &&
        error.message === `cannot read state file ${path}: ${why}` &&
        error.cause instanceof Error,
      set,
    );
    again.close();
  }
});
