// HeapQuiet: a collection only once the heap has grown by GROWTH and a tick found it quiet, on
// a heap the test describes; and on the real heap, the garbage of a burst collected.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GROWTH, HeapQuiet, QUIET } from './heap-quiet.js';

const MB = 1024 * 1024;

/** A heap whose use the test sets; a collection brings it down to `live`. */
function fakeHeap(start: number, live: number) {
  let used = start;
  let collections = 0;
  const keeper = new HeapQuiet({
    used: () => used,
    collect: () => {
      collections++;
      used = live;
    },
  });
  return {
    keeper,
    set: (value: number) => {
      used = value;
    },
    collections: () => collections,
  };
}

test('HeapQuiet.tick() collects once the heap has grown and then stayed quiet', () => {
  const h = fakeHeap(10 * MB, 12 * MB);
  h.set(10 * MB + GROWTH + 5 * MB);
  assert.equal(h.keeper.tick(), false, 'still allocating: no collection');
  assert.equal(h.keeper.tick(), true, 'quiet after growth: collected');
  assert.equal(h.collections(), 1);
  assert.equal(h.keeper.tick(), false, 'back to its live size: nothing more');
});

test('HeapQuiet.tick() never collects while the heap keeps growing', () => {
  const h = fakeHeap(10 * MB, 10 * MB);
  for (let i = 1; i <= 20; i++) {
    h.set(10 * MB + i * 2 * QUIET + i * GROWTH);
    assert.equal(h.keeper.tick(), false);
  }
  assert.equal(h.collections(), 0);
});

test('HeapQuiet.tick() leaves a growth smaller than GROWTH to V8', () => {
  const h = fakeHeap(10 * MB, 10 * MB);
  h.set(10 * MB + GROWTH - MB);
  h.keeper.tick();
  assert.equal(h.keeper.tick(), false);
  assert.equal(h.collections(), 0);
});

test('HeapQuiet.tick() measures growth from the live size after its last collection', () => {
  const h = fakeHeap(10 * MB, 50 * MB);
  h.set(10 * MB + GROWTH);
  h.keeper.tick();
  assert.equal(h.keeper.tick(), true);
  // 50 MB live now: the same heap again is no growth.
  h.set(10 * MB + GROWTH);
  h.keeper.tick();
  assert.equal(h.keeper.tick(), false);
  assert.equal(h.collections(), 1);
});

test('HeapQuiet.tick() gives back the garbage of a burst on the real heap', () => {
  const keeper = new HeapQuiet();
  let burst: string[][] | undefined = [];
  for (let i = 0; i < 400_000; i++) burst.push([`garbage ${i}`.repeat(4)]);
  assert.equal(burst.length, 400_000);
  burst = undefined;
  const before = process.memoryUsage().heapUsed;
  keeper.tick();
  const collected = keeper.tick();
  const after = process.memoryUsage().heapUsed;
  assert.equal(collected, true);
  assert.ok(before - after > GROWTH / 2, `${((before - after) / MB).toFixed(1)} MB given back`);
});
