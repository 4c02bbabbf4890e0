// The counts of a filter for lines counted at their own time, which for the lines of other
// hosts (the cluster stream) may be older than the count's last.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { configureLog } from '../lib/log.js';
import { FilterRuntime } from './filter.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR' });

async function filterOf(keys: object): Promise<Filter> {
  const f = { regex: ['<ip>'], actions: { ban: { cmd: ['ban', '<ip>'] } }, ...keys };
  return (await streamFilters({ f }))[0]!;
}

function runtime(filter: Filter) {
  const triggers: number[] = [];
  const f = new FilterRuntime(filter, {
    store: new MemoryState(),
    onTrigger: (_f, _v, time) => triggers.push(time),
  });
  return { f, triggers };
}

test('count() takes a time older than the last in order and triggers at the latest', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 3, retryperiod: '1h' }));
  f.count(['1.2.3.4'], 10_000_000);
  f.count(['1.2.3.4'], 9_000_000);
  assert.deepEqual([...f.counts()][0]?.times, [9_000_000, 10_000_000]);
  f.count(['1.2.3.4'], 9_500_000);
  assert.deepEqual(triggers, [10_000_000]);
});

test('count() of a time older than the window of the latest does not count', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 2, retryperiod: '1h' }));
  f.count(['1.2.3.4'], 10_000_000);
  f.count(['1.2.3.4'], 10_000_000 - 3_600_000);
  assert.deepEqual(triggers, []);
  assert.deepEqual([...f.counts()][0]?.times, [10_000_000]);
});

// blockAt(): the lines of file and journal streams, at the time they hold.

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const HOUR = 3_600_000;

function iso(time: number, text: string): string {
  return `${new Date(time).toISOString()} host sshd[1]: ${text}`;
}

test('blockAt() counts each line at the time it holds, and triggers at the latest', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 3, retryperiod: '1h' }));
  const block = [NOW - 300_000, NOW - 200_000, NOW - 100_000]
    .map((t) => iso(t, 'fail 192.0.2.1'))
    .join('\n');
  f.blockAt(block, { time: undefined, now: NOW, oldest: NOW - 2 * HOUR });
  assert.deepEqual(triggers, [NOW - 100_000]);
});

test('blockAt() does not count a line older than retryperiod, nor one older than the bound', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 2, retryperiod: '1h' }));
  const old = [NOW - HOUR - 2000, NOW - HOUR - 1000].map((t) => iso(t, 'fail 192.0.2.1'));
  f.blockAt(old.join('\n'), { time: undefined, now: NOW, oldest: NOW - 6 * HOUR });
  assert.deepEqual([triggers, f.size, f.stats.late], [[], 0, 2]);
  const { f: once, triggers: onceTriggers } = runtime(await filterOf({ retry: 1 }));
  once.blockAt(iso(NOW - 2000, 'fail 192.0.2.2'), {
    time: undefined,
    now: NOW,
    oldest: NOW - 1000,
  });
  once.blockAt(iso(NOW - 500, 'fail 192.0.2.3'), { time: undefined, now: NOW, oldest: NOW - 1000 });
  assert.deepEqual([onceTriggers, once.stats.late], [[NOW - 500], 1]);
});

test('blockAt() counts a line without a time, or with one after now, at now; a given time wins', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 1 }));
  const at = { time: undefined, now: NOW, oldest: NOW - HOUR };
  f.blockAt('fail 192.0.2.1', at);
  f.blockAt(iso(NOW + HOUR, 'fail 192.0.2.1'), at);
  f.blockAt(iso(NOW - 5000, 'fail 192.0.2.1'), { ...at, time: NOW - 7000 });
  assert.deepEqual(triggers, [NOW, NOW, NOW - 7000]);
});

test("blockAt() reads the time in the filter's format", async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 1, time: 'epoch' }));
  const at = { time: undefined, now: NOW, oldest: NOW - HOUR };
  f.blockAt(`${(NOW - 60_000) / 1000} fail 192.0.2.1`, at);
  f.blockAt(iso(NOW - 5000, 'fail 192.0.2.1'), at);
  assert.deepEqual(triggers, [NOW - 60_000, NOW]);
});

test('blockAt() counts a line whose time is before 1990 at now: a misreading, not a log time', async () => {
  const { f, triggers } = runtime(await filterOf({ retry: 1, time: 'iso8601' }));
  f.blockAt('1989-12-31T23:59:59Z fail 192.0.2.1', { time: undefined, now: NOW, oldest: 0 });
  assert.deepEqual(triggers, [NOW]);
});
