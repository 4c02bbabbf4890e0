// The scheduler between a write and its commit, on a manual clock that counts its timers and an
// in-memory state that commits when told: a trigger lifted, reloaded or flushed before its row
// is durable, failed commits of early actions, a lift under way at a reload, timers at rest.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { reorder } from './pipeline.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR', sink: () => undefined });

/** The only filter of a configuration with these actions. */
async function filterOf(actions: object): Promise<Filter> {
  return (await streamFilters({ f: { regex: ['<ip>'], actions } }))[0]!;
}

const BAN = { cmd: ['ban', '<ip>'] };
const UNBAN = { cmd: ['unban', '<ip>'], after: '10s' };
const SET_BAN = { type: 'nftables', options: { set: 'bans' } };

/**
 * A scheduler whose actions are recorded as "ms-since-start argv…" (a set action as "add SET"
 * or "delete SET") and end only when `end()` says; `held`: the state commits only when told.
 */
function harness(held = true, start = 1_000_000) {
  const clock = new ManualClock(start);
  const state = new MemoryState({ held });
  const ran: string[] = [];
  const running: (() => void)[] = [];
  const scheduler = new Scheduler({
    store: state,
    clock,
    run: (_filter, action, values, done) => {
      const what =
        action.type === 'nftables' || action.type === 'ipset'
          ? `${action.add ? 'add' : 'delete'} ${action.set}`
          : action.name;
      ran.push(`${clock.now() - start} ${what} ${values.join(' ')}`);
      running.push(done);
    },
  });
  // Ends what runs, and what starts when it ends.
  const end = () => {
    while (running.length > 0) for (const done of running.splice(0)) done();
  };
  return { clock, state, ran, scheduler, end, start };
}

describe('Scheduler: a trigger before its row is durable', () => {
  test('a ban with no end lifted before its row was written never runs: nothing to undo', async () => {
    const filter = await filterOf({ ban: SET_BAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    assert.deepEqual(
      h.scheduler.flush(() => true).map((f) => f.lifted),
      [true],
    );
    h.state.commit();
    h.end();
    assert.deepEqual(h.ran, []);
    assert.deepEqual(h.scheduler.inEffect(), []);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a trigger without delayed actions reloaded before its commit runs once it is stored', async () => {
    const filter = await filterOf({ ban: BAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.reconfigure(new Map([[filter, filter]]), reorder);
    assert.deepEqual(h.state.load().triggers, []);
    h.state.commit();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    h.state.commit();
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a trigger reloaded before its commit runs no delayed action before it is stored', async () => {
    const filter = await filterOf({ ban: BAN, unban: { ...UNBAN, after: '1s' } });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.reconfigure(new Map([[filter, filter]]), reorder);
    h.clock.advance(h.start + 5_000);
    assert.deepEqual(h.ran, []);
    h.state.commit();
    h.clock.advance(h.start + 5_000);
    h.end();
    assert.deepEqual(h.ran, ['5000 ban 1.2.3.4', '5000 unban 1.2.3.4']);
  });

  test('a trigger whose delayed actions a reload removes before its commit runs the rest once stored', async () => {
    const from = await filterOf({ ban: BAN, unban: UNBAN });
    const to = await filterOf({ ban: BAN });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.start);
    assert.equal(h.scheduler.reconfigure(new Map([[from, to]]), reorder), 1);
    h.state.commit();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    h.state.commit();
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a trigger flushed before its commit, which fails, stays refused: nothing of it runs, ever', async () => {
    const filter = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.flush(() => true);
    h.state.commit({ fail: true });
    assert.equal(h.scheduler.size, 0);
    h.clock.advance(h.start + 60_000);
    h.state.commit();
    h.end();
    assert.deepEqual(h.ran, []);
    assert.deepEqual(h.state.load().triggers, []);
  });
});

describe('Scheduler: early actions whose commit fails', () => {
  const logged: string[] = [];
  before(() => configureLog({ level: 'WARN', stamped: false, sink: (line) => logged.push(line) }));
  after(() => configureLog({ level: 'ERROR', sink: () => undefined }));

  test('stop() with nothing to run early writes nothing and says nothing when a commit fails', async () => {
    const filter = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.state.commit();
    logged.length = 0;
    h.scheduler.stop();
    h.state.commit({ fail: true });
    assert.deepEqual(logged, []);
  });

  test('a flush whose commit fails says how many actions stay pending', async () => {
    const filter = await filterOf({ ban: BAN, note: { ...UNBAN, after: '5s' }, unban: UNBAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.state.commit();
    logged.length = 0;
    h.scheduler.flush(() => true);
    h.state.commit({ fail: true });
    assert.deepEqual(logged, [
      'ERROR state: 2 action(s) to run before their time (flush, onexit) not run: their new due time cannot be stored; they stay pending at their times\n',
    ]);
    assert.equal(h.scheduler.size, 2);
  });

  test('a flushed action a reload removed, or restricted to the other family, is not put back', async () => {
    const from = await filterOf({ ban: BAN, note: { ...UNBAN, after: '5s' }, unban: UNBAN });
    const to = await filterOf({ ban: BAN, unban: { ...UNBAN, ipv4only: true } });
    const h = harness();
    h.scheduler.trigger(from, ['2001:db8::1'], h.start);
    h.scheduler.trigger(from, ['192.0.2.1'], h.start);
    h.state.commit();
    h.end();
    h.scheduler.flush(() => true);
    h.scheduler.reconfigure(new Map([[from, to]]), reorder);
    h.state.commit({ fail: true });
    assert.deepEqual(
      h.scheduler.pending().map((l) => [l.values, l.due]),
      [[['192.0.2.1'], [Number.NaN, h.start + 10_000]]],
    );
    h.state.commit();
    h.clock.advance(h.start + 60_000);
    h.end();
    assert.deepEqual(h.ran.slice(2), ['10000 unban 192.0.2.1']);
    h.state.commit();
    assert.deepEqual(h.state.load().triggers, []);
  });
});

describe('Scheduler: a lift under way at a reload', () => {
  test('a lift waiting for its commit still runs when a reload removes its filter', async () => {
    const filter = await filterOf({ ban: SET_BAN });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.state.commit();
    h.end();
    h.scheduler.flush(() => true);
    h.scheduler.reconfigure(new Map(), reorder);
    h.state.commit();
    h.end();
    assert.deepEqual(h.ran, ['0 add bans 1.2.3.4', '0 delete bans 1.2.3.4']);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a lift waiting behind its ban still runs when a reload removes its filter', async () => {
    const filter = await filterOf({ ban: SET_BAN });
    const h = harness(false);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.flush(() => true);
    h.scheduler.reconfigure(new Map(), reorder);
    h.end();
    assert.deepEqual(h.ran, ['0 add bans 1.2.3.4', '0 delete bans 1.2.3.4']);
    assert.deepEqual(h.state.load().triggers, []);
  });
});

describe('Scheduler: a reload that removes a filter', () => {
  test('what waits in the lane of its trigger never runs', async () => {
    const filter = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness(false);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.flush(() => true);
    assert.equal(h.scheduler.reconfigure(new Map(), reorder), 0);
    h.end();
    h.clock.advance(h.start + 60_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    assert.deepEqual(h.state.load().triggers, []);
  });
});

describe('Scheduler: no timer at rest', () => {
  test('a trigger with nothing pending leaves no timer once the others ran', async () => {
    const banOnly = await filterOf({ ban: BAN });
    const banUnban = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness(false);
    h.scheduler.trigger(banOnly, ['1.2.3.4'], h.start);
    h.scheduler.trigger(banUnban, ['5.6.7.8'], h.start);
    h.clock.advance(h.start + 10_000);
    h.end();
    assert.equal(h.scheduler.size, 0);
    assert.equal(h.clock.armed, 0);
  });

  test('a trigger reloaded while its last action runs leaves no timer once the others ran', async () => {
    const banOnly = await filterOf({ ban: BAN });
    const banUnban = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness(false);
    h.scheduler.trigger(banOnly, ['1.2.3.4'], h.start);
    h.scheduler.trigger(banUnban, ['5.6.7.8'], h.start);
    h.scheduler.reconfigure(
      new Map([
        [banOnly, banOnly],
        [banUnban, banUnban],
      ]),
      reorder,
    );
    h.clock.advance(h.start + 10_000);
    h.end();
    assert.equal(h.scheduler.size, 0);
    assert.equal(h.clock.armed, 0);
  });

  test('a restored trigger with nothing pending leaves no timer once the others ran', async () => {
    const filter = await filterOf({ ban: BAN, unban: UNBAN });
    const h = harness(false);
    const stored = { stream: 's', filter: 'f', time: h.start - 20_000, lines: [] };
    const actions = (due: number) => [
      { name: 'ban', due: h.start - 20_000, done: true },
      { name: 'unban', due, done: false },
    ];
    h.scheduler.restore(
      { ...stored, id: 1, values: ['1.2.3.4'], actions: actions(h.start - 10_000) },
      filter,
      h.start,
    );
    h.scheduler.restore(
      { ...stored, id: 2, values: ['5.6.7.8'], actions: actions(h.start + 10_000) },
      filter,
      h.start,
    );
    h.clock.advance(h.start + 10_000);
    h.end();
    assert.deepEqual(h.ran, ['0 unban 1.2.3.4', '0 ban 5.6.7.8', '10000 unban 5.6.7.8']);
    assert.equal(h.clock.armed, 0);
  });
});
