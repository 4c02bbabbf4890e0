import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.js';

test('ManualClock.advance() runs due timers in time order, each at its own time, and skips cancelled ones', () => {
  const clock = new ManualClock(100);
  const seen: string[] = [];
  clock.timer(() => seen.push(`b@${clock.now()}`), 20);
  const cancel = clock.timer(() => seen.push('cancelled'), 5);
  clock.timer(() => {
    seen.push(`a@${clock.now()}`);
    clock.timer(() => seen.push(`c@${clock.now()}`), 5);
  }, 10);
  cancel();
  clock.advance(115);
  assert.deepEqual(seen, ['a@110', 'c@115']);
  assert.equal(clock.now(), 115);
  clock.advance(1000);
  assert.deepEqual(seen, ['a@110', 'c@115', 'b@120']);
  assert.equal(clock.now(), 1000);
});

test('ManualClock.advance() never moves time back', () => {
  const clock = new ManualClock(50);
  clock.advance(10);
  assert.equal(clock.now(), 50);
});
