// The Store on a full disk, made real by SQLite's page limit (a write past it fails with
// SQLITE_FULL): the reserve given back and the write tried again, a failure reported once
// and the writes kept, then written whole once there is room, with a line that says so.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import type { StoredTrigger } from './records.js';
import { RESERVE_FILE, Reserve } from './reserve.js';
import { openSchema } from './schema.js';
import { type Db, openDatabase } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

/** Store's constructor, private to TypeScript only: a Store on a Db the test can limit. */
type StoreConstructor = new (path: string, db: Db, reserve: Reserve, history: boolean) => Store;

interface Full {
  readonly dir: string;
  readonly db: Db;
  readonly store: Store;
  readonly logged: string[];
  /** The file may not grow past its pages now (the disk is full), or may again. */
  full(on: boolean): void;
  /** Called with each line logged, before it is kept. */
  onLog?: (line: string) => void;
  closed: boolean;
}

function fullStore(t: TestContext): Full {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-full-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  Store.open(dir, { reserve: 0 }).close();
  const path = join(dir, STATE_FILE);
  const db = openDatabase(path);
  openSchema(db, path);
  const logged: string[] = [];
  const store = new (Store as unknown as StoreConstructor)(path, db, new Reserve(dir, 4096), true);
  const full: Full = {
    dir,
    db,
    store,
    logged,
    full: (on) =>
      void db.pragma(`max_page_count = ${on ? String(db.pragma('page_count')) : '1073741823'}`),
    closed: false,
  };
  // With room again, so that the close commits what is queued and leaves no retry behind.
  t.after(() => {
    if (full.closed) return;
    full.full(false);
    store.close();
  });
  configureLog({
    level: 'INFO',
    stamped: false,
    sink: (line) => {
      full.onLog?.(line);
      logged.push(line);
    },
  });
  return full;
}

/** A trigger too large for the free room of a page: writing it needs new pages. */
function trigger(id: number): StoredTrigger {
  return {
    id,
    stream: 's',
    filter: 'f',
    values: [`${'v'.repeat(3000)}${id}`],
    time: id,
    actions: [{ name: 'unban', due: id + 100, done: false }],
    lines: ['l'.repeat(3000)],
  };
}

/** Whether the writes queued so far are durable, as a commit now tells a waiting caller. */
function commit(store: Store, all = true): boolean | undefined {
  let durable: boolean | undefined;
  store.afterCommit((d) => (durable = d));
  store.commit(all);
  return durable;
}

/** What a restart reads: the store closed and the directory opened again. */
function restart(t: TestContext, f: Full) {
  f.store.close();
  f.closed = true;
  const again = Store.open(f.dir, { reserve: 0 });
  t.after(() => again.close());
  return {
    ...again.load(),
    positions: again.loadPositions(),
    history: again.history(0, () => true),
  };
}

test('a full disk: the commit is not durable, the reserve is given back, one error for a run of failures', (t) => {
  const f = fullStore(t);
  assert.equal(existsSync(join(f.dir, RESERVE_FILE)), true);
  f.full(true);
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store), false);
  f.store.addTrigger(trigger(2));
  assert.equal(commit(f.store), false);
  assert.equal(existsSync(join(f.dir, RESERVE_FILE)), false);
  assert.deepEqual(f.logged, [
    `ERROR state: the file system of ${f.dir} is full: riposte gave back its 0 MiB reserve to go on storing triggers; free some space, or new bans will be refused once that room is used\n`,
    `ERROR state: cannot write ${join(f.dir, STATE_FILE)}: database or disk is full; new triggers with pending actions are refused until it can, and the other writes are kept to retry\n`,
  ]);
});

test('a full disk: what failed is kept and written once there is room, and writing is said to work again', (t) => {
  const f = fullStore(t);
  f.store.addTrigger(trigger(1));
  f.store.commit();
  f.full(true);
  const times = new Map([['k', { times: [5, 6], lines: ['a', 'b'] }]]);
  f.store.countsOf('s', 'f', (key) => times.get(key)).changed('k', ['192.0.2.9']);
  f.store.positions.set('files', { offset: 42 });
  f.store.forgetTrigger(1, { time: 7, how: 'done' });
  f.store.addTrigger(trigger(2));
  f.store.addTrigger(trigger(3));
  f.store.forgetTrigger(3, { time: 8, how: 'flushed' });
  f.store.pruneHistory(8, 100);
  assert.equal(commit(f.store), false);
  f.full(false);
  f.logged.length = 0;
  assert.equal(commit(f.store), true);
  assert.deepEqual(f.logged, [`INFO  state: writing to ${join(f.dir, STATE_FILE)} works again\n`]);
  f.store.addTrigger(trigger(4));
  assert.equal(commit(f.store), true);
  assert.equal(f.logged.length, 1);
  const after = restart(t, f);
  assert.deepEqual(
    after.triggers.map((s) => s.id),
    [2, 4],
  );
  assert.deepEqual(after.counts, [
    { stream: 's', filter: 'f', values: ['192.0.2.9'], times: [5, 6], lines: ['a', 'b'] },
  ]);
  assert.deepEqual(after.positions, new Map([['files', { offset: 42 }]]));
  assert.deepEqual(
    after.history.map((p) => [p.time, p.ended]),
    [[3, { time: 8, how: 'flushed' }]],
  );
});

test('a full disk: the entries of failed commits are written once, with those dropped at the front gone', (t) => {
  const f = fullStore(t);
  const entry = { times: [] as number[], lines: [] as string[] };
  const counts = f.store.countsOf('s', 'f', (key) => (key === 'k' ? entry : undefined));
  const append = (time: number): void => {
    entry.times.push(time);
    entry.lines.push(`${'l'.repeat(400)}${time}`);
    counts.changed('k', ['192.0.2.9'], true);
  };
  for (let time = 1; time <= 20; time++) append(time);
  assert.equal(commit(f.store), true);
  f.full(true);
  for (let failed = 0; failed < 3; failed++) {
    for (let i = 0; i < 20; i++) append(21 + failed * 20 + i);
    entry.times.splice(0, 5);
    entry.lines.splice(0, 5);
    assert.equal(commit(f.store), false);
  }
  f.full(false);
  append(81);
  assert.equal(commit(f.store), true);
  assert.deepEqual(restart(t, f).counts, [
    { stream: 's', filter: 'f', values: ['192.0.2.9'], ...entry },
  ]);
  assert.equal(entry.times[0], 16);
});

test('a full disk: the room the reserve gives back lets the same commit go through', (t) => {
  const f = fullStore(t);
  f.full(true);
  f.onLog = (line) => {
    if (line.includes('gave back its')) f.full(false);
  };
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store, false), true);
  assert.equal(f.logged.length, 1);
  assert.match(f.logged[0]!, /gave back its 0 MiB reserve/);
  assert.deepEqual(
    restart(t, f).triggers.map((s) => s.id),
    [1],
  );
});

test('a full disk: a failed commit is tried again within a second, with nothing new to write', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
  const f = fullStore(t);
  f.full(true);
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store, false), false);
  f.full(false);
  t.mock.timers.tick(999);
  assert.equal(f.logged.filter((l) => l.includes('works again')).length, 0);
  t.mock.timers.tick(1);
  assert.equal(f.logged.filter((l) => l.includes('works again')).length, 1);
});

test('a full disk: the reserve is made again once writes work and 5 s have passed since it was spent', (t) => {
  const clock = { now: 50_000 };
  t.mock.method(performance, 'now', () => clock.now);
  const f = fullStore(t);
  const reserve = join(f.dir, RESERVE_FILE);
  f.full(true);
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store), false);
  f.full(false);
  clock.now += 4999;
  f.store.addTrigger(trigger(2));
  assert.equal(commit(f.store), true);
  assert.equal(existsSync(reserve), false);
  clock.now += 1;
  f.store.addTrigger(trigger(3));
  assert.equal(commit(f.store), true);
  assert.equal(statSync(reserve).size, 4096);
  assert.equal(
    f.logged.at(-1),
    `INFO  state: the file system of ${f.dir} has room again: reserve made again\n`,
  );
});

test('a full disk: a commit that holds none of the failed writes does not say that writing works again', (t) => {
  const f = fullStore(t);
  f.full(true);
  const big = { times: [1], lines: ['l'.repeat(5000)] };
  f.store.countsOf('s', 'f', () => big).changed('k', ['192.0.2.1']);
  assert.equal(commit(f.store), false);
  assert.equal(commit(f.store, false), true);
  assert.equal(f.logged.filter((l) => l.includes('works again')).length, 0);
  f.full(false);
  assert.equal(commit(f.store), true);
  assert.equal(f.logged.filter((l) => l.includes('works again')).length, 1);
});

test('a write refused for another reason than room keeps the reserve and says why', (t) => {
  const f = fullStore(t);
  f.db.pragma('query_only = 1');
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store), false);
  assert.equal(existsSync(join(f.dir, RESERVE_FILE)), true);
  assert.deepEqual(f.logged, [
    `ERROR state: cannot write ${join(f.dir, STATE_FILE)}: attempt to write a readonly database; new triggers with pending actions are refused until it can, and the other writes are kept to retry\n`,
  ]);
  f.db.pragma('query_only = 0');
  assert.equal(commit(f.store), true);
  assert.deepEqual(
    restart(t, f).triggers.map((s) => s.id),
    [1],
  );
});

test('Store.dropFilters() names the file and the cause when the rows cannot be deleted', (t) => {
  const f = fullStore(t);
  f.store.addTrigger({ ...trigger(1), filter: 'gone' });
  f.store.commit();
  f.db.pragma('query_only = 1');
  assert.throws(
    () => f.store.dropFilters(() => false),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot drop the state of removed filters in ${join(f.dir, STATE_FILE)}: attempt to write a readonly database` &&
      error.cause instanceof Error,
  );
  f.db.pragma('query_only = 0');
});

test('Store.compact() without its reserve keeps the room of forgotten rows in the file', (t) => {
  const f = fullStore(t);
  for (let id = 1; id <= 20; id++) f.store.addTrigger(trigger(id));
  f.store.commit();
  f.full(true);
  f.store.addTrigger(trigger(21));
  assert.equal(commit(f.store), false);
  f.full(false);
  for (let id = 1; id <= 21; id++) f.store.forgetTrigger(id);
  f.store.compact();
  assert.equal(existsSync(join(f.dir, RESERVE_FILE)), false);
  assert.ok(Number(f.db.pragma('freelist_count')) > 10, 'the pages of 20 rows are kept');
});

test('a full disk: while the reserve is spent, each commit is moved into the file and the log does not grow', (t) => {
  const f = fullStore(t);
  const wal = join(f.dir, `${STATE_FILE}-wal`);
  f.full(true);
  f.store.addTrigger(trigger(1));
  assert.equal(commit(f.store), false);
  f.full(false);
  assert.equal(commit(f.store), true);
  const first = statSync(wal).size;
  for (let id = 2; id <= 20; id++) {
    f.store.addTrigger(trigger(id));
    assert.equal(commit(f.store), true);
  }
  const last = statSync(wal).size;
  assert.ok(last <= 2 * first, `the log grew from ${first} to ${last} bytes over 19 commits`);
});

/** The timers set and neither run nor cleared yet, from now until the test ends; unref'd. */
function liveTimers(t: TestContext): Set<unknown> {
  const live = new Set<unknown>();
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = ((run: () => void, ms?: number) => {
    const id = set(() => {
      live.delete(id);
      run();
    }, ms);
    // A timer left behind must not keep the test's process alive: it is what the test looks for.
    id.unref();
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: NodeJS.Timeout) => {
    live.delete(id);
    clear(id);
  }) as typeof clearTimeout;
  t.after(() => {
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  });
  return live;
}

test('a full disk at close: the failure is logged and no retry is left to run on the closed file', (t) => {
  const f = fullStore(t);
  const live = liveTimers(t);
  f.full(true);
  f.store.addTrigger(trigger(1));
  f.store.close();
  f.closed = true;
  assert.ok(
    f.logged.some((l) => l.startsWith('ERROR state: cannot write ')),
    f.logged.join(''),
  );
  assert.equal(live.size, 0);
});
