// When the Store commits, on a clock the test moves (timers and performance.now mocked): a
// write someone waits for at the end of the turn, no sooner than GROUP_DELAY after the last
// commit; counts and positions within a second; a commit() made early cancels the one due.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { StateError } from '../../lib/errors.js';
import { configureLog } from '../../lib/log.js';
import type { StoredTrigger } from './records.js';
import { Store } from './store.js';

configureLog({ level: 'ERROR' });

/** A Store on a mocked clock; `advance` moves performance.now and runs the timers due. */
function clocked(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-commit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { now: 10_000 };
  t.mock.method(performance, 'now', () => clock.now);
  t.mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
  const store = Store.open(dir);
  t.after(() => store.close());
  const advance = (ms: number): void => {
    clock.now += ms;
    t.mock.timers.tick(ms);
  };
  return { store, advance };
}

function trigger(id: number): StoredTrigger {
  return {
    id,
    stream: 's',
    filter: 'f',
    values: [`192.0.2.${id}`],
    time: id,
    actions: [{ name: 'ban', due: id, done: false }],
    lines: [],
  };
}

/** What a waiting caller has heard so far: nothing yet, or whether its writes are durable. */
function waiter(store: Store, options: { counts?: boolean } = {}): { durable?: boolean } {
  const heard: { durable?: boolean } = {};
  store.afterCommit((durable) => {
    heard.durable = durable;
  }, options);
  return heard;
}

const ids = (store: Store): number[] => store.load().triggers.map((s) => s.id);
const done = (store: Store): boolean | undefined => store.load().triggers[0]?.actions[0]?.done;

test('a waited-for write commits at the end of the turn, then no sooner than 5 ms after the last commit', (t) => {
  const { store, advance } = clocked(t);
  store.addTrigger(trigger(1));
  const first = waiter(store);
  assert.deepEqual([first, ids(store)], [{}, []]);
  advance(0);
  assert.deepEqual([first, ids(store)], [{ durable: true }, [1]]);
  advance(2);
  store.addTrigger(trigger(2));
  const second = waiter(store);
  advance(2);
  assert.deepEqual([second, ids(store)], [{}, [1]]);
  advance(1);
  assert.deepEqual([second, ids(store)], [{ durable: true }, [1, 2]]);
});

test('a new trigger is committed with the next group even when nobody waits for it', (t) => {
  const { store, advance } = clocked(t);
  store.addTrigger(trigger(1));
  advance(0);
  assert.deepEqual(ids(store), [1]);
});

test('a caller waiting with nothing queued hears that its writes are durable', (t) => {
  const { store, advance } = clocked(t);
  const heard = waiter(store);
  advance(0);
  assert.deepEqual(heard, { durable: true });
  const cluster: boolean[] = [];
  store.cluster.afterCommit((durable) => cluster.push(durable));
  advance(5);
  assert.deepEqual(cluster, [true]);
});

test('a group commit leaves counts and positions queued; they are committed within a second', (t) => {
  const { store, advance } = clocked(t);
  store.countsOf('s', 'f', () => ({ times: [7], lines: ['x'] })).changed('k', ['192.0.2.7']);
  store.positions.set('files', { offset: 9 });
  store.addTrigger(trigger(1));
  advance(0);
  assert.deepEqual(ids(store), [1]);
  advance(998);
  assert.deepEqual([store.load().counts, store.loadPositions()], [[], new Map()]);
  advance(2);
  assert.deepEqual(store.load().counts, [
    { stream: 's', filter: 'f', values: ['192.0.2.7'], times: [7], lines: ['x'] },
  ]);
  assert.deepEqual(store.loadPositions(), new Map([['files', { offset: 9 }]]));
});

test('a count that changed, with nothing else queued, is committed within a second', (t) => {
  const { store, advance } = clocked(t);
  store.countsOf('s', 'f', () => ({ times: [3], lines: [''] })).changed('k', ['k']);
  advance(999);
  assert.deepEqual(store.load().counts, []);
  advance(1);
  assert.equal(store.load().counts.length, 1);
});

test('after a commit that wrote the counts, the next group commit leaves new counts queued', (t) => {
  const { store, advance } = clocked(t);
  const times = { times: [1], lines: [''] };
  const counts = store.countsOf('s', 'f', () => times);
  counts.changed('k', ['k']);
  const heard = waiter(store, { counts: true });
  advance(0);
  assert.deepEqual([heard, store.load().counts.map((c) => c.times)], [{ durable: true }, [[1]]]);
  times.times = [1, 2];
  times.lines = ['', ''];
  counts.changed('k', ['k']);
  store.addTrigger(trigger(1));
  waiter(store);
  advance(10);
  assert.deepEqual(ids(store), [1]);
  assert.deepEqual(
    store.load().counts.map((c) => c.times),
    [[1]],
  );
});

test('commit() cancels the group commit it made useless: a lazy write after it waits its second', (t) => {
  const { store, advance } = clocked(t);
  store.addTrigger(trigger(1));
  waiter(store);
  waiter(store);
  // At the end of this turn (an immediate): the first commit of the store.
  store.commit();
  store.setDone(1, 'ban');
  advance(0);
  assert.equal(done(store), false);
  advance(1000);
  assert.equal(done(store), true);
  // 5 ms after the last commit (a timeout).
  store.addTrigger(trigger(2));
  waiter(store);
  waiter(store);
  store.commit();
  store.setDue(2, 'ban', 99);
  advance(5);
  assert.equal(store.load().triggers[1]?.actions[0]?.due, 2);
  advance(995);
  assert.equal(store.load().triggers[1]?.actions[0]?.due, 99);
});

test('a row of the outbox deleted is gone within a second', (t) => {
  const { store, advance } = clocked(t);
  store.cluster.addOutbox({ seq: 1, time: 5, line: 'ban 192.0.2.1' }, { epoch: 'e', sent: 1 });
  advance(0);
  assert.equal(store.loadCluster().outbox.length, 1);
  store.cluster.deleteOutbox(1);
  advance(999);
  assert.equal(store.loadCluster().outbox.length, 1);
  advance(1);
  assert.deepEqual(store.loadCluster().outbox, []);
});

test('Store.loadCluster() refuses a damaged row, naming the file', (t) => {
  const { store, advance } = clocked(t);
  store.cluster.setPosition({ incarnation: 'i', seq: 1 });
  advance(0);
  store.cluster.setPosition({ incarnation: 'i', seq: -0.5 });
  advance(5);
  assert.throws(
    () => store.loadCluster(),
    (error: Error) =>
      error instanceof StateError &&
      error.message ===
        `cannot read state file ${store.path}: cluster_marks "position" holds "{\\"incarnation\\":\\"i\\",\\"seq\\":-0.5}"; riposte will not overwrite it: move it away` &&
      error.cause instanceof Error,
  );
});
