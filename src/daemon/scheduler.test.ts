// The scheduler on a manual clock and an in-memory state: delayed actions at their due time,
// the duplicates rules, restore after a restart, flush and onexit. Actions end when the test
// says so, which makes every interleaving explicit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';
import type { StoredTrigger } from './state/records.js';

configureLog({ level: 'ERROR', sink: () => undefined });

/** The only filter of a configuration with these filter keys and actions. */
async function filterOf(filter: object): Promise<Filter> {
  return (await streamFilters({ f: { regex: ['<ip>'], ...filter } }))[0]!;
}

const BAN_UNBAN = {
  actions: { ban: { cmd: ['ban', '<ip>'] }, unban: { cmd: ['unban', '<ip>'], after: '10s' } },
};

/** A scheduler whose actions are recorded with their time and end only when `end()` says. */
function harness(start = 1_000_000, state = new MemoryState()) {
  const clock = new ManualClock(start);
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

/** A stored trigger of s.f for `values` at `time`, its actions as name → [due, done]. */
function stored(
  values: string[],
  time: number,
  actions: Record<string, [number, boolean]>,
): StoredTrigger {
  const list = Object.entries(actions).map(([name, [due, done]]) => ({ name, due, done }));
  return { id: 1, stream: 's', filter: 'f', values, time, actions: list, lines: [] };
}

/** The log lines of WARN and above that `f` writes. */
async function logged(f: () => void | Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  configureLog({ level: 'WARN', stamped: false, sink: (line) => lines.push(line) });
  try {
    await f();
  } finally {
    configureLog({ level: 'ERROR', sink: () => undefined });
  }
  return lines;
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

  test('flush() runs the pending actions now, one after the other, and stop() runs only the onexit ones', async () => {
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
    assert.deepEqual(h.ran.slice(2), ['0 note 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran.slice(3), ['0 unban 1.2.3.4']);
    h.end();
    h.scheduler.stop();
    assert.deepEqual(h.ran.slice(4), ['0 unban 5.6.7.8']);
  });
});

describe('Scheduler: one match, one action at a time, in the trigger order', () => {
  test('flush() while the ban runs starts the unban once the ban has ended', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.scheduler.flush(() => true);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 unban 1.2.3.4']);
  });

  test('stop() while the ban runs starts the onexit unban once the ban has ended', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        unban: { cmd: ['unban', '<ip>'], after: '1h', onexit: true },
      },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.scheduler.stop();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 unban 1.2.3.4']);
  });

  test('an unban that falls due while its ban still runs starts once the ban has ended', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.clock.advance(h.start + 10_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
  });

  test('a new trigger of a match whose unban runs starts its ban once the unban has ended', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.clock.advance(h.start + 10_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran.at(-1), '10000 ban 1.2.3.4');
  });

  test('the immediate actions of a trigger start together, in name order', async () => {
    const filter = await filterOf({
      actions: { b: { cmd: ['b'] }, a: { cmd: ['a'] }, c: { cmd: ['c'], after: '0s' } },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.clock.advance(h.start);
    assert.deepEqual(h.ran, ['0 a 1.2.3.4', '0 b 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran.at(-1), '0 c 1.2.3.4');
  });

  test('delayed actions that fall due together run in the order of their due times, one after the other', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'] },
        a_unban: { cmd: ['unban'], after: '20s' },
        b_warn: { cmd: ['warn'], after: '10s' },
      },
    });
    const first = harness();
    first.scheduler.trigger(filter, ['1.2.3.4'], first.clock.now());
    first.end();
    const later = harness(first.start + 30_000);
    for (const t of first.state.load().triggers)
      later.scheduler.restore(t, filter, later.clock.now());
    assert.deepEqual(later.ran, ['0 b_warn 1.2.3.4']);
    later.end();
    assert.deepEqual(later.ran, ['0 b_warn 1.2.3.4', '0 a_unban 1.2.3.4']);
  });
});

describe('Scheduler: durability before effect', () => {
  test('a delayed action due at once waits until its trigger is stored, and for the immediate ones', async () => {
    const filter = await filterOf({
      actions: { ban: { cmd: ['ban'] }, unban: { cmd: ['unban'], after: '0s' } },
    });
    const h = harness(1_000_000, new MemoryState({ held: true }));
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.clock.advance(h.start + 1000);
    assert.deepEqual(h.ran, []);
    h.state.commit();
    h.clock.advance(h.start + 1000);
    assert.deepEqual(h.ran, ['1000 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran.at(-1), '1000 unban 1.2.3.4');
  });

  test('a trigger with pending actions that cannot be stored is refused loudly: nothing of it runs', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness(1_000_000, new MemoryState({ held: true }));
    const lines = await logged(() => {
      h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
      h.state.commit({ fail: true });
    });
    assert.deepEqual(lines, [
      'ERROR s.f: trigger 1.2.3.4 refused: it cannot be stored, and a restart would lose its pending actions\n',
    ]);
    h.clock.advance(h.start + 60_000);
    assert.deepEqual(h.ran, []);
    assert.equal(h.scheduler.size, 0);
    h.state.commit();
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a trigger without pending actions runs even when it cannot be stored', async () => {
    const filter = await filterOf({ actions: { ban: { cmd: ['ban'] } } });
    const h = harness(1_000_000, new MemoryState({ held: true }));
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.state.commit({ fail: true });
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('flush() stores the unban as due now before it starts: a crash after it never applies the ban again', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness(1_000_000, new MemoryState({ held: true }));
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.state.commit();
    h.end();
    h.clock.advance(h.start + 2000);
    h.scheduler.flush(() => true);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.state.commit();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '2000 unban 1.2.3.4']);
    h.end();
    // Killed before the unban was recorded as done: at restart it is overdue, not pending
    // in 8 s with its ban to apply again.
    const after = harness(h.start + 3000, h.state.crash());
    for (const t of after.state.load().triggers)
      after.scheduler.restore(t, filter, after.clock.now());
    assert.deepEqual(after.ran, ['0 unban 1.2.3.4']);
  });
  test('flush() and stop() run nothing when the due time they give cannot be stored: it stays pending', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'] },
        unban: { cmd: ['unban'], after: '10s', onexit: true },
      },
    });
    const h = harness(1_000_000, new MemoryState({ held: true }));
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.state.commit();
    h.end();
    h.scheduler.flush(() => true);
    h.state.commit({ fail: true });
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    assert.deepEqual(
      h.scheduler.pending().map((l) => l.due),
      [[Number.NaN, 1_010_000]],
    );
    h.scheduler.stop();
    h.state.commit({ fail: true });
    await h.scheduler.idle();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.state.commit();
    assert.deepEqual(h.state.load().triggers[0]?.actions[1], {
      name: 'unban',
      due: 1_010_000,
      done: false,
    });
  });
});

describe('Scheduler: restore()', () => {
  test('restore() does not apply a ban whose unban is overdue, and runs the unban', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness(2_000_000);
    h.scheduler.restore(
      stored(['1.2.3.4'], 1_000_000, { ban: [1_000_000, false], unban: [1_010_000, false] }),
      filter,
      h.clock.now(),
    );
    assert.deepEqual(h.ran, ['0 unban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('restore() starts an unban that falls due while the ban it applies again runs once that ban has ended', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness(1_005_000);
    h.scheduler.restore(
      stored(['1.2.3.4'], 1_000_000, { ban: [1_000_000, true], unban: [1_010_000, false] }),
      filter,
      h.clock.now(),
    );
    h.clock.advance(1_010_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '5000 unban 1.2.3.4']);
  });

  test('restore() never applies a ban again once a delayed action of its trigger ran', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'] },
        note: { cmd: ['note'], after: '2h' },
        unban: { cmd: ['unban'], after: '1h', onexit: true },
      },
    });
    const h = harness(1_000_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.scheduler.stop();
    h.end();
    // The onexit unban ran at shutdown; the note is still pending.
    const after = harness(1_001_000, h.state);
    for (const t of h.state.load().triggers) after.scheduler.restore(t, filter, after.clock.now());
    assert.deepEqual(after.ran, []);
    after.clock.advance(1_000_000 + 7_200_000);
    assert.deepEqual(after.ran, ['7199000 note 1.2.3.4']);
  });

  test('restore() never runs an action that comes before one that ran at shutdown', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'] },
        escalate: { cmd: ['escalate'], after: '1h' },
        unban: { cmd: ['unban'], after: '2h', onexit: true },
      },
    });
    const h = harness(1_000_000);
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.scheduler.stop();
    h.end();
    const after = harness(1_000_000 + 3_600_000, h.state);
    for (const t of h.state.load().triggers) after.scheduler.restore(t, filter, after.clock.now());
    assert.deepEqual(after.ran, []);
    assert.deepEqual(after.state.load().triggers, []);
  });

  test('restore() never runs a oneshot action, even one that had not run', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'] },
        mail: { cmd: ['mail'], oneshot: true },
        unban: { cmd: ['unban'], after: '1h' },
      },
    });
    const h = harness(1_001_000);
    const t = stored(['1.2.3.4'], 1_000_000, {
      ban: [1_000_000, false],
      mail: [1_000_000, false],
      unban: [4_600_000, false],
    });
    h.scheduler.restore(t, filter, h.clock.now());
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('restore() drops the pending actions no longer in the configuration, with one warning for them all', async () => {
    const filter = await filterOf({
      actions: { ban: { cmd: ['ban'] }, lift: { cmd: ['lift'], after: '1h' } },
    });
    const h = harness(1_001_000);
    const lines = await logged(() => {
      for (const ip of ['1.2.3.4', '5.6.7.8']) {
        const t = stored([ip], 1_000_000, { ban: [1_000_000, true], unban: [1_000_500, false] });
        h.scheduler.restore(t, filter, h.clock.now());
      }
      h.scheduler.restored();
    });
    assert.deepEqual(lines, [
      'WARN  state: 2 pending action(s) s.f.unban not run: no longer in the configuration\n',
    ]);
    assert.deepEqual(h.ran, []);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('restore() keeps the stored due time of an action whose after changed', async () => {
    const filter = await filterOf({
      actions: { ban: { cmd: ['ban'] }, unban: { cmd: ['unban'], after: '5s' } },
    });
    const h = harness(1_001_000);
    const t = stored(['1.2.3.4'], 1_000_000, { ban: [1_000_000, true], unban: [1_010_000, false] });
    h.scheduler.restore(t, filter, h.clock.now());
    assert.deepEqual(
      [...h.scheduler.pending()].map((l) => l.due),
      [[Number.NaN, 1_010_000]],
    );
  });
});

describe('Scheduler: address families on every path', () => {
  const V4_UNBAN = {
    actions: {
      ban: { cmd: ['ban', '<ip>'] },
      unban: { cmd: ['unban', '<ip>'], after: '1h', onexit: true, ipv4only: true },
    },
  };

  test('stop() does not run an ipv4only onexit action for an IPv6 match, even one stored before it was ipv4only', async () => {
    const filter = await filterOf(V4_UNBAN);
    const h = harness(1_001_000);
    const t = stored(['2001:db8::1'], 1_000_000, {
      ban: [1_000_000, true],
      unban: [4_600_000, false],
    });
    const lines = await logged(() => {
      h.scheduler.restore(t, filter, h.clock.now());
      h.scheduler.restored();
    });
    assert.deepEqual(lines, ['WARN  state: 1 pending action(s) s.f.unban not run: now ipv4only\n']);
    h.end();
    h.scheduler.stop();
    assert.deepEqual(h.ran, []);
    assert.equal(h.scheduler.size, 0);
  });

  test('trigger(), flush() and stop() run an ipv4only action for IPv4 matches only', async () => {
    const filter = await filterOf(V4_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['2001:db8::1'], h.clock.now());
    h.scheduler.trigger(filter, ['192.0.2.1'], h.clock.now());
    h.scheduler.trigger(filter, ['2001:db8::2'], h.clock.now());
    h.scheduler.trigger(filter, ['192.0.2.2'], h.clock.now());
    h.end();
    h.scheduler.flush((_f, values) => values[0]!.endsWith('1'));
    h.end();
    h.scheduler.stop();
    h.end();
    assert.deepEqual(h.ran.slice(4), ['0 unban 192.0.2.1', '0 unban 192.0.2.2']);
  });

  test('restore() does not apply again an action made ipv6only for an IPv4 match', async () => {
    const filter = await filterOf({
      actions: {
        ban: { cmd: ['ban'], ipv6only: true },
        unban: { cmd: ['unban'], after: '1h' },
      },
    });
    const h = harness(1_001_000);
    const t = stored(['192.0.2.1'], 1_000_000, {
      ban: [1_000_000, true],
      unban: [4_600_000, false],
    });
    h.scheduler.restore(t, filter, h.clock.now());
    assert.deepEqual(h.ran, []);
    assert.equal(h.scheduler.size, 1);
  });
});

describe('Scheduler, triggers from the past (lines of other hosts, at their own time)', () => {
  test('trigger() at a past time runs the ban now and the unban at that time + after', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now() - 4_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    h.clock.advance(h.start + 5_999);
    assert.equal(h.ran.length, 1);
    h.clock.advance(h.start + 6_000);
    assert.deepEqual(h.ran.at(-1), '6000 unban 1.2.3.4');
  });

  test('trigger() whose delayed actions are all overdue runs nothing and stores nothing', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now() - 10_001, [], true);
    h.scheduler.trigger(filter, ['5.6.7.8'], h.clock.now() - 60_000, [], true);
    h.clock.advance(h.start + 60_000);
    assert.deepEqual(h.ran, []);
    assert.equal(h.scheduler.size, 0);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test("trigger() of this host's line whose unban is overdue (counting lagged) runs the ban, then the unban", async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now() - 10_001);
    h.clock.advance(h.start);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 unban 1.2.3.4']);
    h.end();
    assert.equal(h.scheduler.size, 0);
  });

  test('trigger() of a filter without delayed actions runs them whatever its time', async () => {
    const filter = await filterOf({ actions: { ban: { cmd: ['ban', '<ip>'] } } });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now() - 86_400_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('trigger() from the past under "extend" never moves a pending action earlier', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now());
    h.end();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.clock.now() - 5_000);
    assert.equal(
      h.state.load().triggers[0]?.actions.find((a) => a.name === 'unban')?.due,
      h.start + 10_000,
    );
    h.clock.advance(h.start + 9_999);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('an action is told the time of its trigger', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const times: number[] = [];
    const clock = new ManualClock(1_000_000);
    const scheduler = new Scheduler({
      store: new MemoryState(),
      clock,
      run: (_f, _a, _v, done, _trigger, time) => {
        times.push(time);
        done();
      },
    });
    scheduler.trigger(filter, ['1.2.3.4'], 997_000);
    clock.advance(1_007_000);
    assert.deepEqual(times, [997_000, 997_000]);
  });
});
