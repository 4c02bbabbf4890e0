// The state kept in memory, as the replays and the scheduler's tests rely on it: the history
// of triggers that ended, read by time and filter, and pruned; held writes durable only at
// commit(), kept by a failed one, lost by a crash; what a restart reads back.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryState } from './memory.js';
import type { Ended, StoredTrigger } from './records.js';

function trigger(id: number, filter = 'f'): StoredTrigger {
  return {
    id,
    stream: 's',
    filter,
    values: [`192.0.2.${id}`],
    time: 100 * id,
    actions: [{ name: 'unban', due: 100 * id + 50, done: false }],
    lines: [`line ${id}`],
  };
}

/** Triggers added, then forgotten as having ended at these times (one each, ids from 1). */
function ended(state: MemoryState, times: number[]): void {
  times.forEach((time, i) => {
    state.addTrigger(trigger(i + 1));
    state.forgetTrigger(i + 1, { time, how: 'done' });
  });
}

const all = (): boolean => true;
const ids = (state: MemoryState): number[] => state.load().triggers.map((t) => t.id);

describe('MemoryState history', () => {
  test('history() gives back a trigger that ended, with its match, time, end and lines', () => {
    const state = new MemoryState();
    state.addTrigger(trigger(1));
    const end: Ended = { time: 500, how: 'flushed' };
    state.forgetTrigger(1, end);
    assert.deepEqual(state.history(0, all), [
      { stream: 's', filter: 'f', values: ['192.0.2.1'], time: 100, ended: end, lines: ['line 1'] },
    ]);
    assert.deepEqual(state.load().triggers, []);
  });

  test('history() keeps no trigger forgotten without an end, nor one never added', () => {
    const state = new MemoryState();
    state.addTrigger(trigger(1));
    state.forgetTrigger(1);
    state.forgetTrigger(2, { time: 5, how: 'done' });
    assert.deepEqual(state.history(0, all), []);
  });

  test('history() gives the ends from `since` on, of the filters `select` keeps', () => {
    const state = new MemoryState();
    state.addTrigger(trigger(1, 'f'));
    state.forgetTrigger(1, { time: 10, how: 'done' });
    state.addTrigger(trigger(2, 'g'));
    state.forgetTrigger(2, { time: 20, how: 'replaced' });
    state.addTrigger(trigger(3, 'f'));
    state.forgetTrigger(3, { time: 30, how: 'done' });
    const ends = (since: number, filter?: string) =>
      state
        .history(since, (_s, f) => filter === undefined || f === filter)
        .map((p) => p.ended.time);
    assert.deepEqual(ends(20), [20, 30]);
    assert.deepEqual(ends(21), [30]);
    assert.deepEqual(ends(0, 'f'), [10, 30]);
    assert.deepEqual(ends(0, 'h'), []);
  });

  test('with history: false, nothing that ends is kept, and a prune is harmless', () => {
    const state = new MemoryState({ history: false });
    ended(state, [10, 20]);
    state.pruneHistory(0, 10);
    assert.deepEqual(state.history(0, all), []);
    const after = state.crash();
    ended(after, [30]);
    assert.deepEqual(after.history(0, all), []);
  });

  test('pruneHistory() drops the ends before `oldest`, and the oldest beyond `most`', () => {
    const state = new MemoryState();
    ended(state, [10, 20, 30, 40, 50]);
    state.pruneHistory(20, 10);
    assert.deepEqual(
      state.history(0, all).map((p) => p.ended.time),
      [20, 30, 40, 50],
    );
    state.pruneHistory(0, 2);
    assert.deepEqual(
      state.history(0, all).map((p) => p.ended.time),
      [40, 50],
    );
    state.pruneHistory(0, 0);
    assert.deepEqual(state.history(0, all), []);
  });
});

describe('MemoryState held', () => {
  test('a held write is durable at commit(), not before, and a crash before it loses it', () => {
    const state = new MemoryState({ held: true });
    state.addTrigger(trigger(1));
    const seen: boolean[] = [];
    state.afterCommit((durable) => seen.push(durable));
    assert.deepEqual([ids(state), seen], [[], []]);
    assert.deepEqual(ids(state.crash()), []);
    state.commit();
    assert.deepEqual([ids(state), seen], [[1], [true]]);
    assert.deepEqual(ids(state.crash()), [1]);
  });

  test('a failed commit() tells the waiting callers so and keeps the writes for the next one', () => {
    const state = new MemoryState({ held: true });
    state.addTrigger(trigger(1));
    const seen: boolean[] = [];
    state.afterCommit((durable) => seen.push(durable));
    state.commit({ fail: true });
    assert.deepEqual([ids(state), seen], [[], [false]]);
    state.afterCommit((durable) => seen.push(durable));
    state.commit();
    assert.deepEqual([ids(state), seen], [[1], [false, true]]);
  });

  test('without held, every write is durable at once and commit() has nothing to do', () => {
    const state = new MemoryState();
    state.addTrigger(trigger(1));
    const seen: boolean[] = [];
    state.afterCommit((durable) => seen.push(durable));
    assert.deepEqual([ids(state), seen], [[1], [true]]);
    state.commit();
    state.commit({ fail: true });
    assert.deepEqual(ids(state.crash()), [1]);
  });

  test('crash() gives a state that holds its writes as the first did, and keeps its history', () => {
    const state = new MemoryState({ held: true });
    ended(state, [10]);
    state.commit();
    const after = state.crash();
    after.addTrigger(trigger(2));
    assert.deepEqual(ids(after), []);
    after.commit();
    assert.deepEqual(ids(after), [2]);
    assert.deepEqual(
      after.history(0, all).map((p) => p.ended.time),
      [10],
    );
  });

  test('crash() of a state not held gives one not held', () => {
    const after = new MemoryState().crash();
    after.addTrigger(trigger(1));
    assert.deepEqual(ids(after), [1]);
  });
});

describe('MemoryState.load()', () => {
  test('gives the triggers in the order of their ids, whatever the order they came in', () => {
    const state = new MemoryState();
    for (const id of [5, 3, 9, 1, 7, 2]) state.addTrigger(trigger(id));
    assert.deepEqual(ids(state), [1, 2, 3, 5, 7, 9]);
  });

  test('gives the counts with their times and lines, and drops a match with none left', () => {
    const state = new MemoryState();
    const times = new Map([
      ['a', { times: [1, 2], lines: ['x', 'y'] }],
      ['b', { times: [3], lines: ['z'] }],
    ]);
    const counts = state.countsOf('s', 'f', (key) => times.get(key));
    counts.changed('a', ['192.0.2.1']);
    counts.changed('b', ['192.0.2.2']);
    times.delete('b');
    counts.changed('b', ['192.0.2.2']);
    assert.deepEqual(state.load().counts, [
      { stream: 's', filter: 'f', values: ['192.0.2.1'], times: [1, 2], lines: ['x', 'y'] },
    ]);
  });
});
