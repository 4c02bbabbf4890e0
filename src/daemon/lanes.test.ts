// Lanes on their own: the groups of one match run one after the other, each once every step of
// the one before has ended; matches of other filters or other values run beside it; a match
// keeps its lane when a reload reorders its filter's patterns. Steps end when the test says so.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { Lanes, type Step, type StepOwner } from './lanes.js';

const PATTERNS = { ip: { type: 'ip' }, user: { regex: '[a-z]+' } };
const ACTIONS = { a: { cmd: ['a'] }, b: { cmd: ['b'] }, c: { cmd: ['c'] } };

/** The filters of one stream `s`, by name, each with these filter keys and the actions a, b, c. */
async function filtersOf(filters: Record<string, object>): Promise<Filter[]> {
  const defs = Object.entries(filters).map(([name, f]) => [
    name,
    { regex: ['<ip>'], actions: ACTIONS, ...f },
  ]);
  return streamFilters(Object.fromEntries(defs), PATTERNS);
}

/** Lanes whose steps are recorded as "action values…" and end when `end()` names them. */
function harness() {
  const ran: string[] = [];
  const running = new Map<string, () => void>();
  const lanes = new Lanes<StepOwner>((step, ended) => {
    const what = `${step.action.name} ${step.live.values.join(' ')}`;
    ran.push(what);
    running.set(what, ended);
  });
  const end = (what: string): void => {
    const ended = running.get(what);
    assert.ok(ended !== undefined, `${what} is not running`);
    ended();
  };
  return { lanes, ran, running, end };
}

/** A step of `filter`'s action `name` for `values`. */
function step(filter: Filter, values: string[], name: string): Step<StepOwner> {
  const action = filter.actions.find((a) => a.name === name)!;
  return { live: { filter, values }, action, record: true };
}

describe('Lanes', () => {
  test('push() starts the next group of a match once every step of the one before has ended', async () => {
    const [f] = await filtersOf({ f: {} });
    const h = harness();
    h.lanes.push([step(f!, ['1.2.3.4'], 'a'), step(f!, ['1.2.3.4'], 'b')]);
    h.lanes.push([step(f!, ['1.2.3.4'], 'c')]);
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4']);
    h.end('a 1.2.3.4');
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4']);
    h.end('b 1.2.3.4');
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4', 'c 1.2.3.4']);
    // The lane is empty once its last group ended: a new group starts at once.
    h.end('c 1.2.3.4');
    h.lanes.push([step(f!, ['1.2.3.4'], 'a')]);
    assert.equal(h.ran.length, 4);
  });

  test('push() counts a step as ended once, even when its runner says so twice', async () => {
    const [f] = await filtersOf({ f: {} });
    const h = harness();
    h.lanes.push([step(f!, ['1.2.3.4'], 'a'), step(f!, ['1.2.3.4'], 'b')]);
    h.lanes.push([step(f!, ['1.2.3.4'], 'c')]);
    h.end('a 1.2.3.4');
    h.end('a 1.2.3.4');
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4']);
    h.end('b 1.2.3.4');
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4', 'c 1.2.3.4']);
  });

  test('push() runs the same value of two filters in two lanes, side by side', async () => {
    const [f, g] = await filtersOf({ f: {}, g: {} });
    const h = harness();
    h.lanes.push([step(f!, ['1.2.3.4'], 'a')]);
    h.lanes.push([step(g!, ['1.2.3.4'], 'b')]);
    assert.deepEqual(h.ran, ['a 1.2.3.4', 'b 1.2.3.4']);
  });

  test('push() runs two matches of one filter that differ in one of their values side by side', async () => {
    const [f] = await filtersOf({ f: { regex: ['<user> from <ip>'] } });
    const h = harness();
    h.lanes.push([step(f!, ['root', '1.2.3.4'], 'a')]);
    h.lanes.push([step(f!, ['root', '5.6.7.8'], 'a')]);
    h.lanes.push([step(f!, ['adm', '1.2.3.4'], 'a')]);
    assert.deepEqual(h.ran, ['a root 1.2.3.4', 'a root 5.6.7.8', 'a adm 1.2.3.4']);
    // The same match again waits for its turn.
    h.lanes.push([step(f!, ['root', '1.2.3.4'], 'b')]);
    assert.equal(h.ran.length, 3);
    h.end('a root 1.2.3.4');
    assert.deepEqual(h.ran.at(-1), 'b root 1.2.3.4');
  });

  test('push() keeps one lane for a match whose filter a reload gave its patterns in another order', async () => {
    // Each order first, so that the lane's key cannot depend on the order of either.
    for (const [first, second] of [
      ['<user> from <ip>', 'from <ip> as <user>'],
      ['from <ip> as <user>', '<user> from <ip>'],
    ]) {
      const [from] = await filtersOf({ f: { regex: [first] } });
      const [to] = await filtersOf({ f: { regex: [second] } });
      const values = (f: Filter) => f.patterns.map((p) => (p.name === 'ip' ? '1.2.3.4' : 'root'));
      const h = harness();
      h.lanes.push([step(from!, values(from!), 'a')]);
      h.lanes.push([step(to!, values(to!), 'b')]);
      assert.deepEqual(h.ran, [`a ${values(from!).join(' ')}`], `${first}, then ${second}`);
      h.end(`a ${values(from!).join(' ')}`);
      assert.deepEqual(h.ran.at(-1), `b ${values(to!).join(' ')}`);
    }
  });
});
