// FilterRuntime.reconfigure(), a reload of a filter of the same id: which counts it keeps and
// which it drops when retry, retryperiod or the patterns change, what the state then holds,
// and that counting goes on under the new definition.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { configureLog } from '../lib/log.js';
import { FilterRuntime } from './filter.js';
import { acceptor } from './pipeline.js';
import { samePatterns } from './reload.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR' });

const HOUR = 3_600_000;
const NOW = 100 * HOUR;

/** The only filter of a configuration with these patterns and filter keys. */
async function filterOf(patterns: object, filter: object): Promise<Filter> {
  const actions = { ban: { cmd: ['ban', '<ip>'] } };
  return (await streamFilters({ f: { regex: ['<ip>'], actions, ...filter } }, patterns))[0]!;
}

const IP = { ip: { type: 'ip' } };
const COUNTING = { retry: 5, retryperiod: '10h' };

/** A runtime of `filter` with these matches counted (value → hours before NOW of each). */
function counted(filter: Filter, matches: Record<string, number[]>) {
  const state = new MemoryState();
  const triggers: string[] = [];
  const runtime = new FilterRuntime(filter, {
    store: state,
    onTrigger: (_f, values) => triggers.push(values.join(' ')),
  });
  // Oldest first, as lines come.
  for (const [value, hours] of Object.entries(matches))
    for (const h of [...hours].sort((x, y) => y - x)) runtime.count([value], NOW - h * HOUR);
  return { runtime, state, triggers };
}

function reload(runtime: FilterRuntime, to: Filter): number {
  const from = runtime.filter;
  const accept = samePatterns(from, to) ? undefined : acceptor(from, to);
  return runtime.reconfigure(to, { now: NOW, accept });
}

/** The counts as `value: number of recent times`. */
function countsOf(runtime: FilterRuntime): Record<string, number> {
  return Object.fromEntries([...runtime.counts()].map((c) => [c.values.join(' '), c.times.length]));
}

function stored(state: MemoryState): Record<string, number> {
  return Object.fromEntries(state.load().counts.map((c) => [c.values.join(' '), c.times.length]));
}

describe('FilterRuntime.reconfigure()', () => {
  test('keeps every count when only the regexes change', async () => {
    const { runtime, state } = counted(await filterOf(IP, COUNTING), {
      '1.2.3.4': [1, 2],
      '5.6.7.8': [3],
    });
    const to = await filterOf(IP, { ...COUNTING, regex: ['from <ip>'] });
    assert.equal(reload(runtime, to), 0);
    assert.equal(runtime.filter, to);
    assert.deepEqual(countsOf(runtime), { '1.2.3.4': 2, '5.6.7.8': 1 });
    assert.deepEqual(stored(state), { '1.2.3.4': 2, '5.6.7.8': 1 });
  });

  test('keeps counts above a lower retry; the next match triggers them', async () => {
    const { runtime, triggers } = counted(await filterOf(IP, COUNTING), { '1.2.3.4': [1, 2, 3] });
    reload(runtime, await filterOf(IP, { retry: 2, retryperiod: '10h' }));
    assert.deepEqual(triggers, []);
    assert.deepEqual(countsOf(runtime), { '1.2.3.4': 3 });
    runtime.count(['1.2.3.4'], NOW);
    assert.deepEqual(triggers, ['1.2.3.4']);
    assert.deepEqual(countsOf(runtime), {});
  });

  test('drops the times older than a shorter retryperiod, and the matches left with none', async () => {
    const { runtime, state } = counted(await filterOf(IP, COUNTING), {
      '1.2.3.4': [1, 5],
      '5.6.7.8': [6, 7],
    });
    assert.equal(reload(runtime, await filterOf(IP, { retry: 5, retryperiod: '4h' })), 1);
    assert.deepEqual(countsOf(runtime), { '1.2.3.4': 1 });
    assert.deepEqual(stored(state), { '1.2.3.4': 1 });
  });

  test('drops every count when retry becomes 1', async () => {
    const { runtime, state } = counted(await filterOf(IP, COUNTING), {
      '1.2.3.4': [1],
      '5.6.7.8': [2],
    });
    assert.equal(reload(runtime, await filterOf(IP, {})), 2);
    assert.deepEqual(countsOf(runtime), {});
    assert.deepEqual(stored(state), {});
  });

  test('drops the counts of values a new ignore rule ignores, keeps the others', async () => {
    const { runtime, state } = counted(await filterOf(IP, COUNTING), {
      '1.2.3.4': [1],
      '10.0.0.7': [1, 2],
    });
    const to = await filterOf({ ip: { type: 'ip', ignorecidr: ['10.0.0.0/8'] } }, COUNTING);
    assert.equal(reload(runtime, to), 1);
    assert.deepEqual(countsOf(runtime), { '1.2.3.4': 1 });
    assert.deepEqual(stored(state), { '1.2.3.4': 1 });
  });

  test('merges the counts of addresses that a new mask puts in one network', async () => {
    const { runtime, state } = counted(await filterOf(IP, COUNTING), {
      '192.0.2.1': [1, 3],
      '192.0.2.200': [2],
      '198.51.100.1': [1],
    });
    const to = await filterOf({ ip: { type: 'ip', ipv4mask: 24 } }, COUNTING);
    assert.equal(reload(runtime, to), 0);
    assert.deepEqual(countsOf(runtime), { '192.0.2.0/24': 3, '198.51.100.0/24': 1 });
    const merged = [...runtime.counts()].find((c) => c.values[0] === '192.0.2.0/24');
    assert.deepEqual(merged?.times, [NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR]);
    assert.deepEqual(stored(state), { '192.0.2.0/24': 3, '198.51.100.0/24': 1 });
  });

  test('drops the counts of values that are not values of the new pattern', async () => {
    const { runtime } = counted(await filterOf(IP, COUNTING), {
      '1.2.3.4': [1],
      '2001:db8::1': [1],
    });
    assert.equal(reload(runtime, await filterOf({ ip: { type: 'ipv4' } }, COUNTING)), 1);
    assert.deepEqual(countsOf(runtime), { '1.2.3.4': 1 });
  });

  test('drops the counts of networks of a mask that changed, and of regex values the new regex refuses', async () => {
    const masked = await filterOf({ ip: { type: 'ip', ipv4mask: 24 } }, COUNTING);
    const { runtime } = counted(masked, { '192.0.2.0/24': [1] });
    assert.deepEqual(countsOf(runtime), { '192.0.2.0/24': 1 });
    assert.equal(
      reload(runtime, await filterOf({ ip: { type: 'ip', ipv4mask: 16 } }, COUNTING)),
      1,
    );
    const users = { user: { regex: '[a-z]+' } };
    const byUser = await filterOf(users, { ...COUNTING, regex: ['user <user>'] });
    const named = counted(byUser, { root: [1], bob: [2] });
    const lower = await filterOf(
      { user: { regex: 'r[a-z]+' } },
      { ...COUNTING, regex: ['user <user>'] },
    );
    assert.equal(reload(named.runtime, lower), 1);
    assert.deepEqual(countsOf(named.runtime), { root: 1 });
  });

  test('drops every count when a pattern of the filter has no value in the old counts', async () => {
    const from = await filterOf({ ...IP, user: { regex: '\\w+' } }, COUNTING);
    const { runtime } = counted(from, { '1.2.3.4': [1] });
    const to = await filterOf(
      { ...IP, user: { regex: '\\w+' } },
      { ...COUNTING, regex: ['<user> from <ip>'] },
    );
    assert.equal(reload(runtime, to), 1);
    assert.deepEqual(countsOf(runtime), {});
  });
});
