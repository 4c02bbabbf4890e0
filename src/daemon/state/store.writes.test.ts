// The Store on a real file in a temporary directory: what is written comes back after a
// close and a reopen (triggers, due times, actions done, counts), when writes are committed
// (a waiter's at once, the rest within a second), forgetting, dropping removed filters,
// compaction, and the files riposte refuses to open or to read.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import type { Recent, StoredTrigger } from './records.js';
import { openDatabase } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

const logged: string[] = [];
configureLog({ level: 'INFO', stamped: false, sink: (line) => logged.push(line) });

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Recent matches at these times, each without a line. */
function recent(times: number[]): Recent {
  return { times, lines: times.map(() => '') };
}

function trigger(id: number, values: string[] = [`192.0.2.${id}`]): StoredTrigger {
  return {
    lines: [],
    id,
    stream: 's',
    filter: 'f',
    values,
    time: 1000 * id,
    actions: [
      { name: 'ban', due: 1000 * id, done: false },
      { name: 'unban', due: 1000 * id + 60_000, done: false },
    ],
  };
}

/** What a restart reads: the store closed, opened again and loaded. */
function reopened(t: TestContext, dir: string, store: Store) {
  store.close();
  const again = Store.open(dir);
  t.after(() => again.close());
  return { store: again, ...again.load() };
}

function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  return new Promise((done, fail) => {
    const poll = () => {
      if (check()) done();
      else if (Date.now() > end) fail(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

test('Store gives back after a reopen the triggers written, with their due times and actions done', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.addTrigger(trigger(2, ['a b', '2001:db8::1']));
  store.commit();
  store.setDue(1, 'unban', 99_000);
  store.setDone(1, 'ban');
  store.setDone(2, 'ban');
  store.setDue(2, 'unban', 5);
  store.setDone(2, 'unban');
  const { triggers } = reopened(t, dir, store);
  assert.deepEqual(triggers, [
    {
      ...trigger(1),
      actions: [
        { name: 'ban', due: 1000, done: true },
        { name: 'unban', due: 99_000, done: false },
      ],
    },
    {
      ...trigger(2, ['a b', '2001:db8::1']),
      actions: [
        { name: 'ban', due: 2000, done: true },
        { name: 'unban', due: 5, done: true },
      ],
    },
  ]);
});

test('Store merges the updates of a trigger not yet written into its row', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.setDue(1, 'unban', 7);
  store.setDone(1, 'ban');
  const { triggers } = reopened(t, dir, store);
  assert.deepEqual(triggers[0]?.actions, [
    { name: 'ban', due: 1000, done: true },
    { name: 'unban', due: 7, done: false },
  ]);
});

test('Store keeps a done action done whatever due time comes after it, and the last due time', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.commit();
  store.setDone(1, 'unban');
  store.setDue(1, 'unban', 8);
  store.setDue(1, 'ban', 3);
  store.setDue(1, 'ban', 4);
  const { triggers } = reopened(t, dir, store);
  assert.deepEqual(triggers[0]?.actions, [
    { name: 'ban', due: 4, done: false },
    { name: 'unban', due: 8, done: true },
  ]);
});

test('Store forgets a trigger, whether its row was written or not, and ignores later updates of it', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.addTrigger(trigger(2));
  store.addTrigger(trigger(3));
  store.commit();
  store.forgetTrigger(1);
  store.setDone(1, 'ban');
  store.addTrigger(trigger(4));
  store.forgetTrigger(4);
  const { triggers } = reopened(t, dir, store);
  assert.deepEqual(
    triggers.map((s) => s.id),
    [2, 3],
  );
});

test('Store writes the counts of a filter with their times at the commit, and removes emptied ones', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  const times = new Map<string, number[]>([
    ['1.2.3.4', [1, 2]],
    ['5.6.7.8', [3]],
  ]);
  const counts = store.countsOf('s', 'f', (key) => {
    const t = times.get(key);
    return t === undefined ? undefined : recent(t);
  });
  counts.changed('1.2.3.4', ['1.2.3.4']);
  counts.changed('5.6.7.8', ['5.6.7.8']);
  times.get('1.2.3.4')!.push(4);
  store.commit();
  times.delete('5.6.7.8');
  counts.changed('5.6.7.8', ['5.6.7.8']);
  const other = store.countsOf('s', 'g', () => recent([9]));
  other.changed('x', ['a', 'b']);
  const loaded = reopened(t, dir, store);
  assert.deepEqual(
    loaded.counts.sort((a, b) => a.filter.localeCompare(b.filter)),
    [
      { stream: 's', filter: 'f', values: ['1.2.3.4'], times: [1, 2, 4], lines: ['', '', ''] },
      { stream: 's', filter: 'g', values: ['a', 'b'], times: [9], lines: [''] },
    ],
  );
});

test('Store.afterCommit() calls back once the writes queued before it are in the file, not before', async (t) => {
  const store = Store.open(directory(t));
  t.after(() => store.close());
  store.addTrigger(trigger(1));
  const seen: number[][] = [];
  store.afterCommit(() => seen.push(store.load().triggers.map((s) => s.id)));
  assert.deepEqual(seen, []);
  assert.deepEqual(store.load().triggers, []);
  await until('the commit', () => seen.length > 0);
  assert.deepEqual(seen, [[1]]);
});

test('Store.afterCommit() writes the counts too when asked, and a trigger commit leaves them for later', async (t) => {
  const store = Store.open(directory(t));
  t.after(() => store.close());
  const counts = store.countsOf('s', 'f', () => recent([1]));
  counts.changed('k', ['k']);
  store.addTrigger(trigger(1));
  let committed = false;
  store.afterCommit(() => {
    committed = true;
  });
  await until('the trigger commit', () => committed);
  assert.deepEqual(store.load().counts, []);
  let withCounts = false;
  store.afterCommit(
    () => {
      withCounts = true;
    },
    { counts: true },
  );
  await until('the commit with counts', () => withCounts);
  assert.deepEqual(store.load().counts, [
    { stream: 's', filter: 'f', values: ['k'], times: [1], lines: [''] },
  ]);
});

test('Store commits within a second what nobody waits for: actions done, due times, counts', async (t) => {
  const store = Store.open(directory(t));
  t.after(() => store.close());
  store.addTrigger(trigger(1));
  store.commit();
  store.setDone(1, 'ban');
  store.countsOf('s', 'f', () => recent([5])).changed('k', ['k']);
  assert.equal(store.load().triggers[0]?.actions[0]?.done, false);
  await until('the lazy commit', () => store.load().counts.length === 1);
  assert.equal(store.load().triggers[0]?.actions[0]?.done, true);
});

test('Store.dropFilters() removes the triggers and counts of the filters no longer configured', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  store.addTrigger(trigger(1));
  store.addTrigger({ ...trigger(2), stream: 'old' });
  store.countsOf('s', 'gone', () => recent([1])).changed('k', ['k']);
  store.countsOf('s', 'f', () => recent([2])).changed('k', ['k']);
  store.commit();
  const gone = store.dropFilters((stream, filter) => stream === 's' && filter === 'f');
  assert.deepEqual(gone.map((g) => `${g.stream}.${g.filter}`).sort(), ['old.f', 's.gone']);
  const loaded = reopened(t, dir, store);
  assert.deepEqual(
    loaded.triggers.map((s) => s.id),
    [1],
  );
  assert.deepEqual(
    loaded.counts.map((c) => c.filter),
    ['f'],
  );
});

test('Store.compact() gives the pages of forgotten rows back, and keeps what is live', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  const path = join(dir, STATE_FILE);
  for (let id = 1; id <= 3000; id++) store.addTrigger(trigger(id, [`v${'x'.repeat(200)}${id}`]));
  store.compact();
  const full = statSync(path).size;
  for (let id = 2; id <= 3000; id++) store.forgetTrigger(id);
  store.compact();
  const compacted = statSync(path).size;
  assert.ok(compacted < full / 4, `${full} bytes, then ${compacted} after compaction`);
  const { triggers } = reopened(t, dir, store);
  assert.deepEqual(
    triggers.map((s) => s.id),
    [1],
  );
});

test('Store.open() refuses a directory that does not exist, naming it', (t) => {
  const dir = join(directory(t), 'missing');
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message === `cannot open state file ${join(dir, STATE_FILE)}: ${dir} does not exist`,
  );
});

test('Store.open() refuses a file that is not an SQLite database, and leaves it as it is', (t) => {
  const dir = directory(t);
  const path = join(dir, STATE_FILE);
  writeFileSync(path, 'x'.repeat(5000));
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message.startsWith(`cannot open state file ${path}: it is not an SQLite database`),
  );
  assert.equal(statSync(path).size, 5000);
});

test('Store.open() refuses an SQLite database that riposte did not write', (t) => {
  const dir = directory(t);
  const path = join(dir, STATE_FILE);
  const db = openDatabase(path);
  db.exec('CREATE TABLE notes (text TEXT)');
  db.close();
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot open state file ${path}: it is an SQLite database that riposte did not write; riposte will not overwrite it: move it away or set another state_directory`,
  );
});

test('Store.open() refuses a file of a newer schema', (t) => {
  const dir = directory(t);
  Store.open(dir).close();
  const path = join(dir, STATE_FILE);
  const db = openDatabase(path);
  db.pragma('user_version = 99');
  db.close();
  assert.throws(
    () => Store.open(dir),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot open state file ${path}: it was written by a newer riposte (schema 99); upgrade riposte or move the file away`,
  );
});

test('Store.open() takes its own file back, empty, and an empty directory gives an empty state', (t) => {
  const dir = directory(t);
  const store = Store.open(dir);
  assert.deepEqual(store.load(), { triggers: [], counts: [] });
  store.close();
  const again = Store.open(dir);
  assert.deepEqual(again.load(), { triggers: [], counts: [] });
  again.close();
});

test('Store.load() refuses a row that was damaged or edited, naming the column', (t) => {
  const rows: readonly [string, string, string][] = [
    ['triggers', "match = 'x'", 'triggers.match holds "x", not a list'],
    ['triggers', "match = '{}'", 'triggers.match holds "{}", not a list'],
    ['triggers', "actions = '[1]'", 'triggers.actions holds "[1]", not a map of actions'],
    [
      'triggers',
      'actions = \'{"ban":[1,2]}\'',
      'triggers.actions holds "{\\"ban\\":[1,2]}", not a map of actions',
    ],
    [
      'triggers',
      'actions = \'{"ban":["1",0]}\'',
      'triggers.actions holds "{\\"ban\\":[\\"1\\",0]}", not a map of actions',
    ],
    ['triggers', "actions = 'null'", 'triggers.actions holds "null", not a map of actions'],
    ['triggers', "actions = '5'", 'triggers.actions holds "5", not a map of actions'],
    [
      'triggers',
      'actions = \'{"ban":[1,0],"unban":[1,2]}\'',
      'triggers.actions holds "{\\"ban\\":[1,0],\\"unban\\":[1,2]}", not a map of actions',
    ],
    ['triggers', "lines = '[1]'", 'triggers.lines holds "[1]", not a list of lines'],
    ['count_entries', "line = x'41'", 'count_entries.line holds {"not text":"blob"}, not a line'],
    ['count_entries', "time = 'soon'", 'count_entries.time holds "soon", not a time'],
    ['count_matches', "match = 'nope'", 'count_matches.match holds "nope", not a list'],
    ['count_matches', "match = '[1]'", 'count_matches.match holds "[1]", not a list of values'],
  ];
  for (const [table, set, why] of rows) {
    const dir = directory(t);
    const path = join(dir, STATE_FILE);
    const store = Store.open(dir);
    store.addTrigger(trigger(1));
    store.countsOf('s', 'f', () => recent([1])).changed('k', ['k']);
    store.close();
    const db = openDatabase(path);
    db.exec(`UPDATE ${table} SET ${set}`);
    db.close();
    const again = Store.open(dir);
    assert.throws(
      () => again.load(),
      (error: Error) =>
        error instanceof StateError &&
        error.message ===
          `cannot read state file ${path}: ${why}; riposte will not overwrite it: move it away` &&
        error.cause instanceof Error,
      `${table} ${set}`,
    );
    again.close();
  }
});

test('Store.open() refuses a state file another Store holds', (t) => {
  const dir = directory(t);
  const first = Store.open(dir);
  first.addTrigger(trigger(1));
  first.commit();
  t.after(() => first.close());
  assert.throws(
    () => {
      const second = Store.open(dir);
      second.load();
      second.close();
    },
    (error: Error) =>
      error instanceof StateError && /another process holds it|locked|busy/i.test(error.message),
  );
});
