import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Heap } from './heap.js';

/** Pushes [key, item] pairs, then pops everything. */
function drain(pairs: readonly (readonly [number, string])[]): string[] {
  const heap = new Heap<string>();
  for (const [key, item] of pairs) heap.push(key, item);
  const out: string[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

describe('Heap', () => {
  const rows: readonly { name: string; pairs: [number, string][]; order: string[] }[] = [
    { name: 'nothing from an empty heap', pairs: [], order: [] },
    { name: 'one item', pairs: [[5, 'a']], order: ['a'] },
    {
      name: 'the smallest key first',
      pairs: [
        [5, 'e'],
        [1, 'a'],
        [4, 'd'],
        [2, 'b'],
        [3, 'c'],
      ],
      order: ['a', 'b', 'c', 'd', 'e'],
    },
    {
      name: 'equal keys in insertion order',
      pairs: [
        [2, 'x1'],
        [1, 'a'],
        [2, 'x2'],
        [2, 'x3'],
        [0, 'z'],
        [2, 'x4'],
      ],
      order: ['z', 'a', 'x1', 'x2', 'x3', 'x4'],
    },
    {
      name: 'negative and infinite keys',
      pairs: [
        [Number.POSITIVE_INFINITY, 'never'],
        [-5, 'past'],
        [0, 'now'],
      ],
      order: ['past', 'now', 'never'],
    },
  ];
  for (const row of rows) {
    test(`Heap gives ${row.name}`, () => {
      assert.deepEqual(drain(row.pairs), row.order);
    });
  }

  test('Heap stays ordered and stable over many pushes and pops', () => {
    const heap = new Heap<{ key: number; seq: number }>();
    const reference: { key: number; seq: number }[] = [];
    let seed = 1;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed;
    };
    let seq = 0;
    const popped: { key: number; seq: number }[] = [];
    const expected: { key: number; seq: number }[] = [];
    for (let round = 0; round < 5000; round++) {
      if (random() % 3 !== 0 || reference.length === 0) {
        const item = { key: random() % 20, seq: seq++ };
        heap.push(item.key, item);
        reference.push(item);
      } else {
        reference.sort((a, b) => a.key - b.key || a.seq - b.seq);
        expected.push(reference.shift()!);
        popped.push(heap.pop()!);
      }
      assert.equal(heap.size, reference.length);
    }
    assert.deepEqual(popped, expected);
  });

  test('Heap.peekKey() is the smallest key, or Infinity when empty', () => {
    const heap = new Heap<string>();
    assert.equal(heap.peekKey(), Number.POSITIVE_INFINITY);
    heap.push(7, 'b');
    heap.push(3, 'a');
    assert.equal(heap.peekKey(), 3);
    assert.equal(heap.size, 2);
    heap.pop();
    assert.equal(heap.peekKey(), 7);
    heap.pop();
    assert.equal(heap.pop(), undefined);
    assert.equal(heap.size, 0);
  });
});
