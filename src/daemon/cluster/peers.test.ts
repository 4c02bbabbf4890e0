// Exactly once per peer: a table of marks, numbers and what admit() makes of them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerMark } from '../state/cluster.js';
import { admit, REORDER_WINDOW } from './peers.js';

const E = 'aaaaaaaaaaaaaaaa';
const F = 'bbbbbbbbbbbbbbbb';
const mark = (seq: number, gaps: number[] = [], epoch = E): PeerMark => ({ epoch, seq, gaps });

const ROWS: [string, PeerMark | undefined, string, number, PeerMark | undefined][] = [
  ['a first message is applied', undefined, E, 7, mark(7)],
  ['the next number is applied', mark(7), E, 8, mark(8)],
  ['the same number again is a duplicate', mark(8), E, 8, undefined],
  ['an older number seen already is a duplicate', mark(8), E, 3, undefined],
  ['a jump leaves the numbers between as gaps', mark(8), E, 11, mark(11, [9, 10])],
  ['a gap filled late is applied once', mark(11, [9, 10]), E, 9, mark(11, [10])],
  ['a gap filled twice is a duplicate the second time', mark(11, [10]), E, 9, undefined],
  ['a new epoch (the peer made its state anew) starts again', mark(500), F, 1, mark(1, [], F)],
];

for (const [name, before, epoch, seq, after] of ROWS) {
  test(`admit(): ${name}`, () => {
    assert.deepEqual(admit(before, epoch, seq), after);
  });
}

test('admit() keeps gaps within the reorder window only', () => {
  const next = admit(mark(1), E, REORDER_WINDOW + 10);
  assert.equal(next?.gaps.length, REORDER_WINDOW - 1);
  assert.equal(next?.gaps[0], 11);
  assert.equal(admit(next, E, 5), undefined);
});
