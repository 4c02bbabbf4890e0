// What the scheduler says it did, on a manual clock and an in-memory state: each trigger's
// outcome and its log line, a trigger from another host over before it began or not, how a
// trigger's end goes into the history, and what the restore at start-up reports.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';
import type { StoredTrigger } from './state/records.js';

configureLog({ level: 'ERROR', sink: () => undefined });

const PATTERNS = { ip: { type: 'ip' }, user: { regex: '[a-z]+' } };

/** The only filter of a configuration with these filter keys. */
async function filterOf(filter: object): Promise<Filter> {
  return (await streamFilters({ f: { regex: ['<ip>'], ...filter } }, PATTERNS))[0]!;
}

const BAN = { cmd: ['ban', '<ip>'] };
const BAN_UNBAN = { actions: { ban: BAN, unban: { cmd: ['unban', '<ip>'], after: '10s' } } };
const SET_BAN = { actions: { ban: { type: 'nftables', options: { set: 'bans' } } } };

/**
 * A scheduler whose actions are recorded as "ms-since-start name values…", with a "(restored)"
 * mark when the restore at start-up runs them, and end only when `end()` says.
 */
function harness(start = 1_000_000) {
  const clock = new ManualClock(start);
  const state = new MemoryState();
  const ran: string[] = [];
  const running: (() => void)[] = [];
  const scheduler = new Scheduler({
    store: state,
    clock,
    run: (_filter, action, values, done, _id, _time, restored) => {
      const mark = restored ? ' (restored)' : '';
      ran.push(`${clock.now() - start} ${action.name} ${values.join(' ')}${mark}`);
      running.push(done);
    },
  });
  const end = () => {
    while (running.length > 0) for (const done of running.splice(0)) done();
  };
  const history = () => state.history(0, () => true).map((p) => [p.values, p.ended, p.lines]);
  return { clock, state, ran, scheduler, end, history, start };
}

describe('Scheduler.trigger(): outcomes and their log lines', () => {
  const logged: string[] = [];
  before(() => configureLog({ level: 'INFO', stamped: false, sink: (line) => logged.push(line) }));
  after(() => configureLog({ level: 'ERROR', sink: () => undefined }));

  test('trigger() says whether it triggered, extended, ignored, or ran nothing for the family', async () => {
    const extend = await filterOf(BAN_UNBAN);
    const ignore = await filterOf({ ...BAN_UNBAN, duplicates: 'ignore' });
    const v4 = await filterOf({ actions: { ban: { ...BAN, ipv4only: true } } });
    const h = harness();
    assert.equal(h.scheduler.trigger(extend, ['1.2.3.4'], h.start), 'triggered');
    assert.equal(h.scheduler.trigger(extend, ['1.2.3.4'], h.start + 1), 'extended');
    assert.equal(h.scheduler.trigger(ignore, ['1.2.3.4'], h.start), 'triggered');
    assert.equal(h.scheduler.trigger(ignore, ['1.2.3.4'], h.start + 1), 'ignored');
    assert.equal(h.scheduler.trigger(v4, ['2001:db8::1'], h.start), 'none');
  });

  test('a trigger of a ban with no end in effect is held, logged with every value', async () => {
    const filter = await filterOf({
      regex: ['<user> from <ip>'],
      actions: { ban: { type: 'nftables', options: { set: 'bans' } } },
    });
    const h = harness();
    h.scheduler.trigger(filter, ['root', '1.2.3.4'], h.start);
    h.end();
    logged.length = 0;
    assert.equal(h.scheduler.trigger(filter, ['root', '1.2.3.4'], h.start + 1), 'held');
    assert.deepEqual(logged, [
      'INFO  s.f: trigger root 1.2.3.4 ignored: its ban with no end is in effect\n',
    ]);
    assert.deepEqual(h.ran, ['0 ban root 1.2.3.4']);
  });

  test('under "rerun", a trigger replaces the ban with no end in effect, which ends as replaced', async () => {
    const filter = await filterOf({ ...SET_BAN, duplicates: 'rerun' });
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    h.end();
    h.clock.advance(h.start + 3_000);
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start + 3_000), 'triggered');
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '3000 ban 1.2.3.4']);
    assert.deepEqual(
      h.scheduler.inEffect().map((l) => l.id),
      [2],
    );
    assert.deepEqual(h.history(), [[['1.2.3.4'], { time: h.start + 3_000, how: 'replaced' }, []]]);
  });

  test('a trigger from another host whose delayed actions are all overdue says so, and is none', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness(Date.UTC(2026, 0, 2, 3, 4, 5));
    logged.length = 0;
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start - 10_001, [], true), 'none');
    assert.deepEqual(logged, [
      'INFO  s.f: trigger 1.2.3.4 at 2026-01-02T03:03:54.999Z is over already: nothing to run\n',
    ]);
    assert.deepEqual(h.ran, []);
  });
});

describe('Scheduler.trigger() from another host: over only once every delayed action was due', () => {
  test('one whose unban is still ahead runs its ban', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start - 4_000, [], true), 'triggered');
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });

  test('one whose unban falls due exactly now runs its ban, then its unban', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start - 10_000, [], true), 'triggered');
    h.clock.advance(h.start);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 unban 1.2.3.4']);
  });

  test('one with a delayed action overdue and another ahead runs its ban', async () => {
    const filter = await filterOf({
      actions: { ...BAN_UNBAN.actions, note: { cmd: ['note', '<ip>'], after: '5s' } },
    });
    const h = harness();
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start - 6_000, [], true), 'triggered');
    h.clock.advance(h.start);
    h.end();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 note 1.2.3.4']);
  });

  test('one without delayed actions runs them whatever its time', async () => {
    const filter = await filterOf({ actions: { ban: BAN } });
    const h = harness();
    assert.equal(h.scheduler.trigger(filter, ['1.2.3.4'], h.start - 60_000, [], true), 'triggered');
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
  });
});

describe('Scheduler: the end of a trigger, in the history', () => {
  test('a trigger whose last action ended is done at that time; with no lines given, it keeps none', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start);
    assert.deepEqual(h.state.load().triggers[0]?.lines, []);
    h.end();
    h.clock.advance(h.start + 10_000);
    h.clock.advance(h.start + 12_000);
    h.end();
    assert.deepEqual(h.history(), [[['1.2.3.4'], { time: h.start + 12_000, how: 'done' }, []]]);
  });

  test('a flushed trigger ends as flushed, with the lines that counted toward it', async () => {
    const filter = await filterOf(BAN_UNBAN);
    const h = harness();
    h.scheduler.trigger(filter, ['1.2.3.4'], h.start, ['a line', 'another']);
    h.end();
    h.clock.advance(h.start + 2_000);
    h.scheduler.flush(() => true);
    h.end();
    assert.deepEqual(h.history(), [
      [['1.2.3.4'], { time: h.start + 2_000, how: 'flushed' }, ['a line', 'another']],
    ]);
  });
});

/** A stored trigger of s.f, id `id`, at `time`, its actions as name → [due, done]. */
function stored(
  id: number,
  values: string[],
  time: number,
  actions: Record<string, [number, boolean]>,
): StoredTrigger {
  const list = Object.entries(actions).map(([name, [due, done]]) => ({ name, due, done }));
  return { id, stream: 's', filter: 'f', values, time, actions: list, lines: [] };
}

describe('Scheduler.restore() and restored()', () => {
  test('restored() counts the bans with no end, the actions run again and those run for the first time, once', async () => {
    const banUnban = await filterOf(BAN_UNBAN);
    const setBan = await filterOf(SET_BAN);
    const h = harness();
    const t = h.start - 5_000;
    h.scheduler.restore(stored(1, ['1.1.1.1'], t, { ban: [t, true] }), setBan, h.start);
    h.scheduler.restore(
      stored(2, ['2.2.2.2'], t, { ban: [t, true], unban: [h.start + 5_000, false] }),
      banUnban,
      h.start,
    );
    h.scheduler.restore(
      stored(3, ['3.3.3.3'], t - 10_000, { ban: [t, true], unban: [t, false] }),
      banUnban,
      h.start,
    );
    assert.deepEqual(h.scheduler.restored(), { held: 1, again: 2, overdue: 1 });
    assert.deepEqual(h.scheduler.restored(), { held: 0, again: 0, overdue: 0 });
    assert.deepEqual(h.ran, [
      '0 ban 1.1.1.1 (restored)',
      '0 ban 2.2.2.2 (restored)',
      '0 unban 3.3.3.3 (restored)',
    ]);
    h.end();
    h.clock.advance(h.start + 5_000);
    h.scheduler.trigger(banUnban, ['4.4.4.4'], h.start + 5_000);
    assert.deepEqual(h.ran.slice(3), ['5000 unban 2.2.2.2', '5000 ban 4.4.4.4']);
  });

  test('a restored ban with no end stays in effect; a restored trigger is forgotten once its last action ended', async () => {
    const banUnban = await filterOf(BAN_UNBAN);
    const setBan = await filterOf(SET_BAN);
    const h = harness();
    const t = h.start - 20_000;
    const held = stored(1, ['1.1.1.1'], t, { ban: [t, true] });
    const overdue = stored(2, ['2.2.2.2'], t, { ban: [t, true], unban: [t + 10_000, false] });
    for (const s of [held, overdue]) h.state.addTrigger(s);
    h.scheduler.restore(held, setBan, h.start);
    h.scheduler.restore(overdue, banUnban, h.start);
    h.end();
    assert.deepEqual(
      h.scheduler.inEffect().map((l) => l.id),
      [1],
    );
    assert.equal(h.scheduler.trigger(setBan, ['1.1.1.1'], h.start), 'held');
    assert.deepEqual(
      h.state.load().triggers.map((s) => s.id),
      [1],
    );
  });
});
