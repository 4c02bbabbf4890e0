// The scheduler on a manual clock and an in-memory state: delayed actions at their due time,
// the duplicates rules, restore after a restart, flush and onexit. Actions end when the test
// says so, which makes every interleaving explicit.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR' });

/** The only filter of a configuration with these filter keys and actions. */
async function filterOf(filter: object): Promise<Filter> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    const streams = { s: { cmd: ['true'], filters: { f: { regex: ['<ip>'], ...filter } } } };
    writeFileSync(file, JSON.stringify({ patterns: { ip: { type: 'ip' } }, streams }));
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.message).join('\n'));
    return loaded.config.streams[0]!.filters[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BAN_UNBAN = {
  actions: { ban: { cmd: ['ban', '<ip>'] }, unban: { cmd: ['unban', '<ip>'], after: '10s' } },
};

/** A scheduler whose actions are recorded with their time and end only when `end()` says. */
function harness(start = 1_000_000) {
  const clock = new ManualClock(start);
  const state = new MemoryState();
  const ran: string[] = [];
  const running: (() => void)[] = [];
  const scheduler = new Scheduler({
    store: state,
    clock,
    run: (_filter, action, values, done) => {
      ran.push(`${clock.now() - start} ${action.name} ${values.join(' ')}`);
      running.push(done);
    },
  });
  const end = () => {
    for (const done of running.splice(0)) done();
  };
  return { clock, state, ran, scheduler, end, start };
}

describe('Scheduler', () => {
  test('trigger() runs the immediate action at once and the delayed one at its due time', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    h.clock.advance(h.start + 9_999);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.clock.advance(h.start + 10_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
    h.end();
    assert.equal(h.scheduler.size, 0);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('trigger() under duplicates "extend" moves the pending action to the new time + after', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.clock.advance(h.start + 4_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    assert.equal(
      h.state.load().triggers[0]?.actions.find((a) => a.name === 'unban')?.due,
      h.start + 14_000,
    );
    h.clock.advance(h.start + 13_999);
    assert.equal(h.ran.length, 1);
    h.clock.advance(h.start + 14_000);
    assert.deepEqual(h.ran.at(-1), '14000 unban 1.2.3.4');
  });

  test('restore() runs an overdue action once, and schedules a future one at its stored time', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const first = harness();
    first.scheduler.trigger(filter, ['1.2.3.4'], first.clock.now());
    first.scheduler.trigger(filter, ['5.6.7.8'], first.clock.now() + 5_000);
    first.end();
    const { triggers } = first.state.load();
    const later = harness(first.start + 12_000);
    for (const t of triggers) later.scheduler.restore(t, filter, later.clock.now());
    // 1.2.3.4's unban was due at +10s: overdue, run once; 5.6.7.8's is due at +15s: its ban
    // runs again (the firewall may be empty after a restart), its unban waits.
    assert.deepEqual(later.ran.toSorted(), ['0 ban 5.6.7.8', '0 unban 1.2.3.4']);
    later.end();
    later.clock.advance(first.start + 15_000);
    assert.deepEqual(later.ran.at(-1), '3000 unban 5.6.7.8');
  });

  test('flush() runs the pending actions now and stop() runs only the onexit ones', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        note: { cmd: ['note', '<ip>'], after: '1h' },
        unban: { cmd: ['unban', '<ip>'], after: '1h', onexit: true },
      },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.scheduler.trigger(filter, ['5.6.7.8'], h.clock.now());
    h.end();
    const flushed = h.scheduler.flush((_f, values) => values[0] === '1.2.3.4');
    assert.equal(flushed.length, 1);
    assert.deepEqual(h.ran.slice(2), ['0 note 1.2.3.4', '0 unban 1.2.3.4']);
    h.end();
    h.scheduler.stop();
    assert.deepEqual(h.ran.slice(4), ['0 unban 5.6.7.8']);
  });
});
