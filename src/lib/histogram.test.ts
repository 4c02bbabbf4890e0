// Histogram: which bucket an observation falls in (a bound is inclusive, as Prometheus' `le`),
// cumulative counts, sum and count.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from './histogram.js';

test('observe() counts a value equal to a bound in that bound, a larger one in +Inf', () => {
  const h = new Histogram([0.1, 1]);
  for (const v of [0, 0.1, 0.5, 1, 2, 30]) h.observe(v);
  assert.deepEqual(h.cumulative(), [2, 4, 6]);
  assert.equal(h.count, 6);
  assert.equal(h.sum, 33.6);
});

test('cumulative() of an empty histogram is zeros, one per bound and one for +Inf', () => {
  assert.deepEqual(new Histogram([1, 2, 3]).cumulative(), [0, 0, 0, 0]);
});

test('new Histogram() refuses bounds that do not increase', () => {
  assert.throws(() => new Histogram([1, 1]), {
    name: 'RangeError',
    message: 'histogram bounds must increase',
  });
  assert.throws(() => new Histogram([2, 1]), RangeError);
});
