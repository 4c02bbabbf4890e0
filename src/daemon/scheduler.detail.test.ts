// The scheduler in detail, from the mutants its first tests let live: exact due times, extend
// across a restart, onexit per family, the duplicates rules, show, flush, restore and timers. Actions end when the test
// says so, which makes every interleaving explicit. One test writes through the real Store
// and reads its file back.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { pendingActions, Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';
import { Store } from './state/store.js';

configureLog({ level: 'ERROR' });

/** The only filter of a configuration with these filter keys and actions. */
async function filterOf(filter: object): Promise<Filter> {
  return (await streamFilters({ f: { regex: ['<ip>'], ...filter } }))[0]!;
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

describe('Scheduler: due times, extend across a restart, onexit', () => {
  test('trigger() gives each delayed action the due time trigger time + after, in show and in the state', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 7);
    const [live] = h.scheduler.pending();
    assert.deepEqual([...pendingActions(live!)], [['unban', h.start + 10_007]]);
    assert.deepEqual(
      h.state.load().triggers[0]?.actions.map((a) => [a.name, a.due]),
      [
        ['ban', h.start + 7],
        ['unban', h.start + 10_007],
      ],
    );
  });

  test('trigger() under "extend" moves the due time to the second trigger + after, in show too', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.clock.advance(h.start + 4_321);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    const [live] = h.scheduler.pending();
    assert.deepEqual([...pendingActions(live!)], [['unban', h.start + 14_321]]);
    assert.equal(h.scheduler.size, 1);
  });

  test('an extended due time is written to the state file and read back at a restart', async (t) => {
    const filter = await filterOf(BAN_UNBAN);
    const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const start = 1_000_000;
    const first = Store.open(dir);
    const clock = new ManualClock(start);
    const ran: string[] = [];
    const scheduler = new Scheduler({
      store: first,
      clock,
      run: (_f, action, _values, done) => {
        ran.push(`${clock.now() - start} ${action.name}`);
        done();
      },
    });
    scheduler.trigger(filter, ['1.2.3.4'], clock.now());
    first.commit();
    clock.advance(start + 4_000);
    scheduler.trigger(filter, ['1.2.3.4'], clock.now());
    first.close();
    assert.deepEqual(ran, ['0 ban']);

    const second = Store.open(dir);
    t.after(() => second.close());
    const { triggers } = second.load();
    assert.deepEqual(
      triggers.map((s) => s.actions.map((a) => [a.name, a.due - start, a.done])),
      [
        [
          ['ban', 0, true],
          ['unban', 14_000, false],
        ],
      ],
    );
    const later = harness(start + 12_000);
    for (const s of triggers) later.scheduler.restore(s, filter, later.clock.now());
    // The first due time (+10 s) has passed: only the extended one (+14 s) counts.
    assert.deepEqual(later.ran, ['0 ban 1.2.3.4']);
    later.end();
    later.clock.advance(start + 13_999);
    assert.deepEqual(later.ran, ['0 ban 1.2.3.4']);
    later.clock.advance(start + 14_000);
    assert.deepEqual(later.ran, ['0 ban 1.2.3.4', '2000 unban 1.2.3.4']);
  });

  test('stop() does not run again an onexit action that already ran while another is pending', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        note: { cmd: ['note', '<ip>'], after: '1h' },
        unban: { cmd: ['unban', '<ip>'], after: '10s', onexit: true },
      },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.clock.advance(h.start + 10_000);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
    assert.equal(h.scheduler.size, 1);
    h.scheduler.stop();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
  });

  test('stop() runs an ipv4only onexit action for the IPv4 matches only', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        note: { cmd: ['note', '<ip>'], after: '1h' },
        unban4: { cmd: ['unban4', '<ip>'], after: '1h', onexit: true, ipv4only: true },
        unban6: { cmd: ['unban6', '<ip>'], after: '1h', onexit: true, ipv6only: true },
      },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.scheduler.trigger(filter, ['2001:db8::1'], h.clock.now());
    h.end();
    h.ran.length = 0;
    h.scheduler.stop();
    assert.deepEqual(h.ran.toSorted(), ['0 unban4 1.2.3.4', '0 unban6 2001:db8::1']);
  });

  test('stop() arms no timer: nothing delayed runs after it, and idle() waits for what it started', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        unban: { cmd: ['unban', '<ip>'], after: '10s', onexit: true },
        later: { cmd: ['later', '<ip>'], after: '20s' },
      },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.scheduler.stop();
    assert.deepEqual(h.ran.slice(1), ['0 unban 1.2.3.4']);
    let idle = false;
    const waiting = h.scheduler.idle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    assert.equal(idle, false);
    h.end();
    await waiting;
    h.clock.advance(h.start + 60_000);
    assert.deepEqual(h.ran.slice(1), ['0 unban 1.2.3.4']);
  });
});

/** A scheduler like harness()'s, on a ManualClock that counts its timers, whose actions can be ended one at a time. */
function detailed(start = 1_000_000) {
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
  // Ends what runs, and what starts when it ends (a trigger's actions run one after the other).
  const end = () => {
    while (running.length > 0) for (const done of running.splice(0)) done();
  };
  const endFirst = () => running.shift()?.();
  const stored = () =>
    state.load().triggers.map((t) => ({
      id: t.id,
      actions: Object.fromEntries(t.actions.map((a) => [a.name, a.done])),
    }));
  return { clock, state, ran, running, scheduler, end, endFirst, stored, start };
}

const TWO_LATER = {
  actions: {
    ban: { cmd: ['ban', '<ip>'] },
    note: { cmd: ['note', '<ip>'], after: '5s' },
    unban: { cmd: ['unban', '<ip>'], after: '10s' },
  },
};

describe('Scheduler in detail: duplicates, show, flush, restore, idle, timers', () => {
  const logged: string[] = [];
  before(() => configureLog({ level: 'INFO', stamped: false, sink: (line) => logged.push(line) }));
  after(() => configureLog({ level: 'ERROR' }));

  test('a trigger logs itself, and "ignore" drops a second one, logged, with the due time kept', async () => {
    const filter = await filterOf({ ...BAN_UNBAN, duplicates: 'ignore' });
    const h = detailed();
    logged.length = 0;
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 3_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    const [live] = h.scheduler.pending();
    assert.deepEqual([...pendingActions(live!)], [['unban', h.start + 10_000]]);
    assert.deepEqual(logged, [
      'INFO  s.f: trigger 1.2.3.4\n',
      'INFO  s.f: trigger 1.2.3.4 ignored: its actions are still pending\n',
    ]);
  });

  test('"extend" logs that it extends, and runs nothing', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    logged.length = 0;
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 1);
    assert.deepEqual(logged, ['INFO  s.f: trigger 1.2.3.4 extends its pending actions\n']);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('"rerun" runs every action again; show lists both triggers, each runs its own, then none is left', async () => {
    const filter = await filterOf({ ...BAN_UNBAN, duplicates: 'rerun' });
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    h.clock.advance(h.start + 2_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 2_000);
    h.end();
    h.clock.advance(h.start + 4_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 4_000);
    h.end();
    assert.deepEqual(
      h.scheduler.pending().map((l) => [...pendingActions(l)]),
      [[['unban', h.start + 10_000]], [['unban', h.start + 12_000]], [['unban', h.start + 14_000]]],
    );
    assert.equal(h.scheduler.size, 3);
    h.clock.advance(h.start + 12_000);
    h.end();
    assert.deepEqual(
      h.scheduler.pending().map((l) => l.time - h.start),
      [4_000],
    );
    h.clock.advance(h.start + 14_000);
    h.end();
    assert.deepEqual(h.ran, [
      '0 ban 1.2.3.4',
      '2000 ban 1.2.3.4',
      '4000 ban 1.2.3.4',
      '10000 unban 1.2.3.4',
      '12000 unban 1.2.3.4',
      '14000 unban 1.2.3.4',
    ]);
    assert.deepEqual(h.scheduler.pending(), []);
    assert.deepEqual(h.state.load().triggers, []);
    assert.equal(h.clock.armed, 0);
  });

  test('a trigger whose every action its family excludes runs, stores and logs nothing', async () => {
    const filter = await filterOf({
      actions: { ban4: { cmd: ['ban', '<ip>'], ipv4only: true } },
    });
    const h = detailed();
    logged.length = 0;
    h.scheduler.trigger(filter, ['2001:db8::1'], h.start);
    assert.deepEqual([h.ran, logged, h.state.load().triggers], [[], [], []]);
  });

  test('triggers get increasing ids, after the ids restored too', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = detailed();
    const stored = {
      id: 41,
      stream: 's',
      filter: 'f',
      values: ['9.9.9.9'],
      time: h.start,
      lines: [],
    };
    h.scheduler.restore(
      { ...stored, actions: [{ name: 'unban', due: h.start + 1_000, done: false }] },
      filter,
      h.start,
    );
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.scheduler.trigger(filter, ['5.6.7.8'], h.start);
    assert.deepEqual(
      h.state.load().triggers.map((t) => t.id),
      [42, 43],
    );
  });

  test('a delayed action stays in show until it ran, and the trigger is stored until its last action ended', async () => {
    const filter = await filterOf(TWO_LATER);
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: false, note: false, unban: false } }]);
    h.end();
    h.clock.advance(h.start + 5_000);
    assert.deepEqual(
      h.scheduler.pending().map((l) => [...pendingActions(l)]),
      [[['unban', h.start + 10_000]]],
    );
    h.end();
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: true, note: true, unban: false } }]);
    h.clock.advance(h.start + 10_000);
    assert.deepEqual(h.scheduler.pending(), []);
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: true, note: true, unban: false } }]);
    h.end();
    assert.deepEqual(h.stored(), []);
    assert.equal(h.clock.armed, 0);
  });

  test('an immediate action keeps its trigger stored while it runs', async () => {
    const filter = await filterOf({ actions: { ban: { cmd: ['ban', '<ip>'] } } });
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: false } }]);
    h.end();
    assert.deepEqual(h.stored(), []);
  });

  test('flush() logs, returns what it flushed with the due times, and records each action as it ends', async () => {
    const filter = await filterOf(TWO_LATER);
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    logged.length = 0;
    const flushed = h.scheduler.flush(() => true);
    assert.deepEqual(
      flushed.map((f) => [f.live.values, [...f.actions]]),
      [
        [
          ['1.2.3.4'],
          [
            ['note', h.start + 5_000],
            ['unban', h.start + 10_000],
          ],
        ],
      ],
    );
    assert.deepEqual(logged, ['INFO  s.f: flush 1.2.3.4\n']);
    h.endFirst();
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: true, note: true, unban: false } }]);
    h.end();
    assert.deepEqual(h.stored(), []);
    // The timer armed for the flushed actions fires for nothing, and none is armed after it.
    h.clock.advance(h.start + 60_000);
    assert.equal(h.ran.length, 3);
    assert.equal(h.clock.armed, 0);
  });

  test('restore() runs an action due exactly now at once, records it and applies no ban again; one that already ran, never', async () => {
    const filter = await filterOf(TWO_LATER);
    const h = detailed();
    const base = {
      id: 7,
      stream: 's',
      filter: 'f',
      values: ['1.2.3.4'],
      time: h.start - 5_000,
      lines: [],
    };
    h.scheduler.restore(
      {
        ...base,
        actions: [
          { name: 'ban', due: h.start - 5_000, done: true },
          { name: 'gone', due: h.start - 5_000, done: false },
          { name: 'note', due: h.start, done: false },
          { name: 'unban', due: h.start + 5_000, done: false },
        ],
      },
      filter,
      h.start,
    );
    // "note" is due: the ban is not applied again (revive.ts), "gone" is no longer configured.
    assert.deepEqual(h.ran, ['0 note 1.2.3.4']);
    h.end();
    assert.deepEqual(h.state.load().triggers, []);
    const again = detailed();
    again.scheduler.restore(
      {
        ...base,
        actions: [
          { name: 'ban', due: h.start - 5_000, done: true },
          { name: 'note', due: h.start, done: true },
          { name: 'unban', due: h.start + 5_000, done: false },
        ],
      },
      filter,
      h.start,
    );
    assert.deepEqual(again.ran, []);
    again.clock.advance(h.start + 5_000);
    again.end();
    assert.deepEqual(again.ran, ['5000 unban 1.2.3.4']);
  });

  test('restore() records an overdue action that ran while another is pending', async () => {
    const filter = await filterOf(TWO_LATER);
    const first = detailed();
    first.scheduler.trigger(filter, ['1.2.3.4'], first.start);
    first.end();
    const [stored] = first.state.load().triggers;
    const h = detailed(first.start + 6_000);
    h.state.addTrigger(stored!);
    h.scheduler.restore(stored!, filter, h.start);
    assert.deepEqual(h.ran, ['0 note 1.2.3.4']);
    h.end();
    assert.deepEqual(h.stored(), [{ id: 1, actions: { ban: true, note: true, unban: false } }]);
  });

  test('stop() with nothing pending does nothing; after it no trigger arms a timer', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = detailed();
    h.scheduler.stop();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    assert.equal(h.clock.armed, 0);
    h.clock.advance(h.start + 60_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('stop() that runs the last action of a trigger ends it: the action before it never runs', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        note: { cmd: ['note', '<ip>'], after: '1h' },
        unban: { cmd: ['unban', '<ip>'], after: '1h', onexit: true },
      },
    });
    const h = detailed();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    h.scheduler.stop();
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 unban 1.2.3.4']);
    assert.deepEqual(h.stored(), []);
    assert.equal(h.clock.armed, 0);
  });

  test('idle() resolves at once with nothing running, else once the last running action ended', async () => {
    const filter = await filterOf({
      actions: { a: { cmd: ['a', '<ip>'] }, b: { cmd: ['b', '<ip>'] } },
    });
    const h = detailed();
    await h.scheduler.idle();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    let idle = false;
    const waiting = h.scheduler.idle().then(() => {
      idle = true;
    });
    h.endFirst();
    await new Promise((done) => setImmediate(done));
    assert.equal(idle, false);
    h.endFirst();
    await waiting;
    assert.equal(idle, true);
  });
});
