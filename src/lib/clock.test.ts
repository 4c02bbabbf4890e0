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

test('ManualClock.armed counts the timers neither run nor cancelled', () => {
  const clock = new ManualClock(0);
  const cancel = clock.timer(() => undefined, 10);
  clock.timer(() => undefined, 20);
  assert.equal(clock.armed, 2);
  cancel();
  assert.equal(clock.armed, 1);
  cancel();
  assert.equal(clock.armed, 1);
  clock.advance(20);
  assert.equal(clock.armed, 0);
});
