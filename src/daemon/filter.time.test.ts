// The counts of a filter for lines counted at their own time, which for the lines of other
// hosts (the cluster stream) may be older than the count's last.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { configureLog } from '../lib/log.js';
import { FilterRuntime } from './filter.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR' });

async function filterOf(keys: object): Promise<Filter> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    const f = { regex: ['<ip>'], actions: { ban: { cmd: ['ban', '<ip>'] } }, ...keys };
    const streams = { s: { cmd: ['true'], filters: { f } } };
    writeFileSync(file, JSON.stringify({ patterns: { ip: { type: 'ip' } }, streams }));
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok);
    return loaded.config.streams[0]!.filters[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
