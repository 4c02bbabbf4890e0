// FilterRuntime on explicit times and an in-memory state: the retry window at its exact
// boundary (a time exactly `retryperiod` old is out), counting per match and from zero after
// a trigger, restore and sweep at the same boundary, forget, and what reaches the state.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { configureLog } from '../lib/log.js';
import { FilterRuntime, keepLine, keyOf, LINE_KEPT } from './filter.js';
import { MemoryState } from './state/memory.js';

const logged: string[] = [];
configureLog({ level: 'INFO', stamped: false, sink: (line) => logged.push(line) });

const PERIOD = 10_000;
const T0 = 1_000_000;

const built = new Map<string, Promise<Filter>>();

/** The only filter of a configuration with these filter keys, on `<ip>` (and `<user>`). */
function filterOf(filter: object, regex = ['fail <ip>']): Promise<Filter> {
  const key = JSON.stringify([filter, regex]);
  let found = built.get(key);
  if (found === undefined) {
    found = load(filter, regex);
    built.set(key, found);
  }
  return found;
}

async function load(filter: object, regex: string[]): Promise<Filter> {
  const patterns = { ip: { type: 'ip' }, user: { regex: '[a-z]+' } };
  const f = { regex, actions: { ban: { cmd: ['ban', '<ip>'] } }, ...filter };
  return (await streamFilters({ f }, patterns))[0]!;
}

/** A runtime of `filter` whose triggers are recorded as "values@time". */
function runtime(filter: Filter, state = new MemoryState()) {
  const triggers: string[] = [];
  const rt = new FilterRuntime(filter, {
    store: state,
    onTrigger: (f, values, now) => {
      assert.equal(f, filter);
      triggers.push(`${values.join(' ')}@${now - T0}`);
    },
  });
  return { rt, triggers, state };
}

/** The counts as `show` lists them: match → times relative to T0. */
function counts(rt: FilterRuntime): Record<string, number[]> {
  return Object.fromEntries(
    [...rt.counts()].map((c) => [c.values.join(' '), c.times.map((t) => t - T0)]),
  );
}

/** The counts the state would give back at a restart: match → times relative to T0. */
function stored(state: MemoryState): Record<string, number[]> {
  return Object.fromEntries(
    state.load().counts.map((c) => [c.values.join(' '), c.times.map((t) => t - T0)]),
  );
}

const RETRY_2 = { retry: 2, retryperiod: `${PERIOD}ms` };
const RETRY_3 = { retry: 3, retryperiod: `${PERIOD}ms` };

describe('FilterRuntime.count()', () => {
  test('count() triggers when the earlier match is 1 ms younger than retryperiod', async () => {
    const { rt, triggers } = runtime(await filterOf(RETRY_2));
    rt.count(['1.2.3.4'], T0);
    rt.count(['1.2.3.4'], T0 + PERIOD - 1);
    assert.deepEqual(triggers, [`1.2.3.4@${PERIOD - 1}`]);
  });

  test('count() does not trigger when the earlier match is exactly retryperiod old', async () => {
    const { rt, triggers } = runtime(await filterOf(RETRY_2));
    rt.count(['1.2.3.4'], T0);
    rt.count(['1.2.3.4'], T0 + PERIOD);
    assert.deepEqual(triggers, []);
    assert.deepEqual(counts(rt), { '1.2.3.4': [PERIOD] });
  });

  test('count() drops every time that fell out of the window, and only those', async () => {
    const { rt, triggers } = runtime(await filterOf(RETRY_3));
    rt.count(['1.2.3.4'], T0);
    rt.count(['1.2.3.4'], T0 + 1);
    rt.count(['1.2.3.4'], T0 + PERIOD + 1);
    assert.deepEqual(triggers, []);
    assert.deepEqual(counts(rt), { '1.2.3.4': [PERIOD + 1] });
    rt.count(['1.2.3.4'], T0 + PERIOD + 2);
    rt.count(['1.2.3.4'], T0 + 2 * PERIOD);
    assert.deepEqual(triggers, [`1.2.3.4@${2 * PERIOD}`]);
  });

  test('count() counts each match on its own, and from zero after a trigger', async () => {
    const { rt, triggers } = runtime(await filterOf(RETRY_2));
    rt.count(['1.2.3.4'], T0);
    rt.count(['5.6.7.8'], T0 + 1);
    assert.deepEqual(triggers, []);
    rt.count(['1.2.3.4'], T0 + 2);
    assert.deepEqual(triggers, ['1.2.3.4@2']);
    assert.deepEqual(counts(rt), { '5.6.7.8': [1] });
    rt.count(['1.2.3.4'], T0 + 3);
    assert.deepEqual(triggers, ['1.2.3.4@2']);
    assert.deepEqual(counts(rt), { '5.6.7.8': [1], '1.2.3.4': [3] });
    assert.equal(rt.size, 2);
    assert.deepEqual(rt.stats, { matches: 4, triggers: 1, late: 0 });
  });

  test('count() with retry 1 triggers at every match and keeps no count', async () => {
    const state = new MemoryState();
    const { rt, triggers } = runtime(await filterOf({}), state);
    rt.count(['1.2.3.4'], T0);
    rt.count(['1.2.3.4'], T0 + 1);
    assert.deepEqual(triggers, ['1.2.3.4@0', '1.2.3.4@1']);
    assert.equal(rt.size, 0);
    assert.deepEqual(stored(state), {});
    assert.deepEqual(rt.stats, { matches: 2, triggers: 2, late: 0 });
  });

  test('count() keeps the state as the counts are: written at each match, removed at the trigger', async () => {
    const state = new MemoryState();
    const { rt } = runtime(await filterOf(RETRY_3), state);
    rt.count(['1.2.3.4'], T0);
    rt.count(['1.2.3.4'], T0 + 5);
    assert.deepEqual(stored(state), { '1.2.3.4': [0, 5] });
    rt.count(['1.2.3.4'], T0 + 6);
    assert.deepEqual(stored(state), {});
  });

  test('count() logs each match with its values, quoted when not plain', async () => {
    const filter = await filterOf({}, ['user <user> from <ip>']);
    const { rt } = runtime(filter);
    logged.length = 0;
    rt.count(['bob', '1.2.3.4'], T0);
    rt.count(['a b', '1.2.3.4'], T0);
    assert.deepEqual(logged, [
      'INFO  s.f: match bob 1.2.3.4\n',
      'INFO  s.f: match "a b" 1.2.3.4\n',
    ]);
  });

  test('count() keeps the matches of a filter with several patterns apart, values in order', async () => {
    const filter = await filterOf(RETRY_2, ['user <user> from <ip>']);
    const state = new MemoryState();
    const { rt, triggers } = runtime(filter, state);
    assert.deepEqual(
      filter.patterns.map((p) => p.name),
      ['user', 'ip'],
    );
    const values = ['bob', '1.2.3.4'];
    const other = ['eve', '1.2.3.4'];
    rt.count(values, T0);
    rt.count(other, T0 + 1);
    assert.deepEqual(
      [...rt.counts()].map((c) => c.values),
      [values, other],
    );
    assert.deepEqual(
      state.load().counts.map((c) => c.values),
      [values, other],
    );
    rt.count(values, T0 + 2);
    assert.deepEqual(triggers, [`${values.join(' ')}@2`]);
  });
});

describe('FilterRuntime.block()', () => {
  test('block() counts every match of a block at the time it was read', async () => {
    const { rt, triggers } = runtime(await filterOf(RETRY_2));
    rt.block('fail 1.2.3.4\nnoise\nfail 5.6.7.8\r\nfail 1.2.3.4', T0 + 7);
    assert.deepEqual(triggers, ['1.2.3.4@7']);
    assert.deepEqual(counts(rt), { '5.6.7.8': [7] });
  });
});

describe('FilterRuntime.restore()', () => {
  test('restore() keeps the times younger than retryperiod, sorted, and drops one exactly that old', async () => {
    const state = new MemoryState();
    const { rt, triggers } = runtime(await filterOf(RETRY_3), state);
    const now = T0 + PERIOD;
    rt.restore(['1.2.3.4'], { times: [T0 + 5, T0, T0 + 1], lines: [] }, now);
    assert.deepEqual(counts(rt), { '1.2.3.4': [1, 5] });
    rt.count(['1.2.3.4'], now);
    assert.deepEqual(triggers, [`1.2.3.4@${PERIOD}`]);
  });

  test('restore() forgets a match whose times all expired, in the state too', async () => {
    const first = runtime(await filterOf(RETRY_3));
    first.rt.count(['1.2.3.4'], T0);
    first.rt.count(['1.2.3.4'], T0 + 1);
    const state = first.state;
    const { rt } = runtime(await filterOf(RETRY_3), state);
    rt.restore(['1.2.3.4'], { times: [T0, T0 + 1], lines: [] }, T0 + PERIOD + 1);
    assert.equal(rt.size, 0);
    assert.deepEqual(stored(state), {});
  });

  test('restore() keeps no count for a filter whose retry became 1, and forgets it in the state', async () => {
    const first = runtime(await filterOf(RETRY_3));
    first.rt.count(['1.2.3.4'], T0);
    first.rt.count(['5.6.7.8'], T0 + 5);
    const { rt } = runtime(await filterOf({}), first.state);
    rt.restore(['1.2.3.4'], { times: [T0], lines: [] }, T0 + 1);
    // Even a time after now (the clock was set back while riposte was down).
    rt.restore(['5.6.7.8'], { times: [T0 + 5], lines: [] }, T0 + 1);
    assert.equal(rt.size, 0);
    assert.deepEqual(stored(first.state), {});
  });
});

describe('FilterRuntime.sweep()', () => {
  test('sweep() drops a match whose last time is exactly retryperiod old, and keeps a younger one', async () => {
    const state = new MemoryState();
    const { rt } = runtime(await filterOf(RETRY_3), state);
    rt.count(['1.2.3.4'], T0);
    rt.count(['5.6.7.8'], T0);
    rt.count(['5.6.7.8'], T0 + 1);
    rt.sweep(T0 + PERIOD);
    assert.deepEqual(counts(rt), { '5.6.7.8': [1] });
    assert.deepEqual(stored(state), { '5.6.7.8': [0, 1] });
    rt.sweep(T0 + PERIOD + 1);
    assert.equal(rt.size, 0);
    assert.deepEqual(stored(state), {});
  });
});

describe('FilterRuntime.forget()', () => {
  test('forget() removes the selected counts, returns them with their times, and keeps the rest', async () => {
    const state = new MemoryState();
    const { rt } = runtime(await filterOf(RETRY_3), state);
    rt.count(['1.2.3.4'], T0, 'fail from 1.2.3.4');
    rt.count(['5.6.7.8'], T0 + 1);
    const forgotten = rt.forget((values) => values[0] === '1.2.3.4');
    assert.deepEqual(forgotten, [
      { values: ['1.2.3.4'], times: [T0], lines: ['fail from 1.2.3.4'] },
    ]);
    assert.deepEqual(counts(rt), { '5.6.7.8': [1] });
    assert.deepEqual(stored(state), { '5.6.7.8': [1] });
  });
});

describe('keepLine()', () => {
  test('keepLine() keeps a short line whole and cuts a long one at LINE_KEPT, never inside a surrogate pair', () => {
    assert.equal(keepLine('fail from 1.2.3.4'), 'fail from 1.2.3.4');
    assert.equal(keepLine('x'.repeat(LINE_KEPT + 10)), 'x'.repeat(LINE_KEPT));
    const pair = `${'x'.repeat(LINE_KEPT - 1)}😀tail`;
    assert.equal(keepLine(pair), 'x'.repeat(LINE_KEPT - 1));
  });

  test('a trigger gets the lines of the matches that counted toward it, the expired ones dropped', async () => {
    const fired: (readonly string[])[] = [];
    const lines = new FilterRuntime(await filterOf(RETRY_3), {
      store: new MemoryState(),
      onTrigger: (_f, _v, _now, l) => fired.push(l),
    });
    lines.count(['1.2.3.4'], T0, 'old');
    lines.count(['1.2.3.4'], T0 + PERIOD, 'one');
    lines.count(['1.2.3.4'], T0 + PERIOD + 1, 'two');
    lines.count(['1.2.3.4'], T0 + PERIOD + 2, 'three');
    assert.deepEqual(fired, [['one', 'two', 'three']]);
  });
});

describe('keyOf()', () => {
  test('keyOf() is the value of a one-value match, and JSON for several', () => {
    assert.equal(keyOf(['1.2.3.4']), '1.2.3.4');
    assert.equal(keyOf(['a', 'b']), '["a","b"]');
  });
});

describe('the lines a trigger carries', () => {
  /** A runtime whose triggers are recorded with their lines. */
  function withLines(filter: Filter) {
    const lines: (readonly string[])[] = [];
    const rt = new FilterRuntime(filter, {
      store: new MemoryState(),
      onTrigger: (_f, _values, _now, kept) => lines.push(kept),
    });
    return { rt, lines };
  }

  test('count() with retry 1 gives its trigger the line, or none for a match without one', async () => {
    const { rt, lines } = withLines(await filterOf({ retry: 1 }));
    rt.count(['192.0.2.1'], T0, 'fail 192.0.2.1');
    rt.count(['192.0.2.1'], T0 + 1);
    assert.deepEqual(lines, [['fail 192.0.2.1'], []]);
  });

  test('count() gives a trigger the lines that counted, without the empty ones of matches from elsewhere', async () => {
    const { rt, lines } = withLines(await filterOf(RETRY_3));
    rt.count(['192.0.2.1'], T0, 'one');
    rt.count(['192.0.2.1'], T0 + 1);
    rt.count(['192.0.2.1'], T0 + 2, 'three');
    assert.deepEqual(lines, [['one', 'three']]);
  });

  test('restore() keeps the stored lines, which a trigger then carries', async () => {
    const { rt, lines } = withLines(await filterOf(RETRY_3));
    rt.restore(['192.0.2.1'], { times: [T0, T0 + 1], lines: ['one', 'two'] }, T0 + 2);
    assert.deepEqual([...rt.counts()][0]?.lines, ['one', 'two']);
    rt.count(['192.0.2.1'], T0 + 2, 'three');
    assert.deepEqual(lines, [['one', 'two', 'three']]);
  });

  test('count() of two matches at the same time keeps their lines in the order they came', async () => {
    const { rt, lines } = withLines(await filterOf(RETRY_3));
    rt.count(['192.0.2.1'], T0 + 5, 'first');
    rt.count(['192.0.2.1'], T0 + 5, 'second');
    rt.count(['192.0.2.1'], T0 + 5, 'third');
    assert.deepEqual(lines, [['first', 'second', 'third']]);
  });
});

test('keepLine() cuts after any character that is not a high surrogate, and before one of any value', () => {
  const before = 'x'.repeat(LINE_KEPT - 1);
  for (const ch of ['\uE000', '\uDC00', 'é'])
    assert.equal(keepLine(`${before}${ch}tail`), `${before}${ch}`);
  for (const high of ['\uD800', '\uDBFF'])
    assert.equal(keepLine(`${before}${high}\uDC00tail`), before);
  assert.equal(keepLine('x'.repeat(LINE_KEPT)), 'x'.repeat(LINE_KEPT));
});
