// Scheduler.reconfigure(), what a reload does to pending triggers, on a manual clock and an
// in-memory state: due times kept, the new definition run, removed actions and actions a new
// family restriction excludes dropped, removed filters' triggers dropped, values reordered
// for the new patterns; bans with no end moved to the new definition, or lifted. Actions end
// when the test says so.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { renderTemplate } from '../concepts/template.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { reorder } from './pipeline.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';

configureLog({ level: 'ERROR' });

const PATTERNS = { ip: { type: 'ip' }, user: { regex: '[a-z]+' } };

/** The only filter of a configuration with these filter keys. */
async function filterOf(filter: object): Promise<Filter> {
  return (await streamFilters({ f: { regex: ['<ip>'], ...filter } }, PATTERNS))[0]!;
}

const BAN = { cmd: ['ban', '<ip>'] };

/**
 * A scheduler whose actions are recorded as "ms-since-start argv…" and end at once, unless
 * `slow` names actions that end only when `end()` says; `held`: commits only when told.
 */
function harness(o: { start?: number; held?: boolean; slow?: readonly string[] } = {}) {
  const start = o.start ?? 1_000_000;
  const clock = new ManualClock(start);
  const state = new MemoryState({ held: o.held === true });
  const running: (() => void)[] = [];
  const ran: string[] = [];
  const scheduler = new Scheduler({
    store: state,
    clock,
    run: (_filter, action, values, done) => {
      const argv =
        action.type === 'cmd'
          ? action.argv.map((t) => renderTemplate(t, values))
          : action.type === 'nftables' || action.type === 'ipset'
            ? [action.add ? 'add' : 'delete', action.set, ...values]
            : [action.name];
      ran.push(`${clock.now() - start} ${argv.join(' ')}`);
      if (o.slow?.includes(action.name)) running.push(done);
      else done();
    },
  });
  const end = () => {
    for (const done of running.splice(0)) done();
  };
  return { clock, state, ran, scheduler, start, end };
}

describe('Scheduler.reconfigure()', () => {
  test('a pending action keeps its due time and runs its new definition', async () => {
    const from = await filterOf({
      actions: { ban: BAN, unban: { cmd: ['unban', '<ip>'], after: '10s' } },
    });
    const to = await filterOf({
      actions: { ban: BAN, unban: { cmd: ['UNBAN', '<ip>'], after: '1h' } },
    });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    assert.equal(h.scheduler.reconfigure(new Map([[from, to]]), reorder), 0);
    assert.equal(h.scheduler.pending()[0]?.filter, to);
    h.clock.advance(h.start + 10_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 UNBAN 1.2.3.4']);
    assert.equal(h.scheduler.size, 0);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('an action removed, or renamed, has its pending runs dropped; the others stay', async () => {
    const from = await filterOf({
      actions: {
        ban: BAN,
        note: { cmd: ['note', '<ip>'], after: '5s' },
        unban: { cmd: ['unban', '<ip>'], after: '10s' },
      },
    });
    const to = await filterOf({
      actions: { ban: BAN, unban: { cmd: ['unban', '<ip>'], after: '10s' } },
    });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    assert.equal(h.scheduler.size, 2);
    assert.equal(h.scheduler.reconfigure(new Map([[from, to]]), reorder), 1);
    h.clock.advance(h.start + 20_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
  });

  test('a restriction added to an action applies to what is pending', async () => {
    const unban = { cmd: ['unban', '<ip>'], after: '10s' };
    const from = await filterOf({ actions: { ban: BAN, unban } });
    const to = await filterOf({ actions: { ban: BAN, unban: { ...unban, ipv4only: true } } });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.trigger(from, ['2001:db8::1'], h.clock.now());
    assert.equal(h.scheduler.reconfigure(new Map([[from, to]]), reorder), 1);
    h.clock.advance(h.start + 20_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 ban 2001:db8::1', '10000 unban 1.2.3.4']);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('an action added to the filter is for later triggers, not for those pending', async () => {
    const unban = { cmd: ['unban', '<ip>'], after: '10s' };
    const from = await filterOf({ actions: { ban: BAN, unban } });
    const to = await filterOf({
      actions: { ban: BAN, mail: { cmd: ['mail', '<ip>'], after: '5s' }, unban },
    });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.reconfigure(new Map([[from, to]]), reorder);
    h.clock.advance(h.start + 20_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 unban 1.2.3.4']);
  });

  test('the pending triggers of a removed filter are dropped, and nothing of them runs', async () => {
    const from = await filterOf({
      actions: { ban: BAN, unban: { cmd: ['unban', '<ip>'], after: '10s' } },
    });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    assert.equal(h.scheduler.reconfigure(new Map(), reorder), 1);
    assert.deepEqual(h.scheduler.pending(), []);
    h.clock.advance(h.start + 20_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('an action waiting behind a running one of its match waits for it after a reload, and runs as now defined', async () => {
    const unban = (word: string) => ({ cmd: [word, '<ip>'], after: '10s' });
    const from = await filterOf({ actions: { ban: BAN, unban: unban('unban') } });
    const to = await filterOf({ actions: { ban: BAN, unban: unban('UNBAN') } });
    const h = harness({ slow: ['ban'] });
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.trigger(from, ['5.6.7.8'], h.clock.now());
    // One unban is flushed while its ban runs, before the reload, the other after it: both
    // wait in their match's lane for the ban, which began under the old definition.
    h.scheduler.flush((_f, values) => values[0] === '1.2.3.4');
    h.scheduler.reconfigure(new Map([[from, to]]), reorder);
    h.scheduler.flush((_f, values) => values[0] === '5.6.7.8');
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '0 ban 5.6.7.8']);
    h.end();
    assert.deepEqual(h.ran, [
      '0 ban 1.2.3.4',
      '0 ban 5.6.7.8',
      '0 UNBAN 1.2.3.4',
      '0 UNBAN 5.6.7.8',
    ]);
    // A new trigger of the match after the reload takes its own turn, after the others.
    h.scheduler.trigger(to, ['1.2.3.4'], h.clock.now());
    assert.equal(h.ran.length, 5);
  });

  test('flushed actions a failed commit puts back stay pending under each new definition', async () => {
    const unban = (word: string) => ({ cmd: [word, '<ip>'], after: '10s' });
    const a = await filterOf({ actions: { ban: BAN, unban: unban('unban') } });
    const b = await filterOf({ actions: { ban: BAN, unban: unban('UNBAN') } });
    const c = await filterOf({ actions: { ban: BAN, unban: unban('Unban') } });
    const h = harness({ held: true });
    h.scheduler.trigger(a, ['1.2.3.4'], h.clock.now());
    h.state.commit();
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4']);
    // Flushed: its new due time waits for a commit, during which two reloads come.
    h.scheduler.flush(() => true);
    h.scheduler.reconfigure(new Map([[a, b]]), reorder);
    h.state.commit({ fail: true });
    assert.equal(h.scheduler.size, 1);
    h.scheduler.reconfigure(new Map([[b, c]]), reorder);
    assert.equal(h.scheduler.pending()[0]?.filter, c);
    h.state.commit();
    h.clock.advance(h.start + 10_000);
    assert.deepEqual(h.ran, ['0 ban 1.2.3.4', '10000 Unban 1.2.3.4']);
  });

  test('values follow the new order of the patterns; a new pattern drops what it cannot fill', async () => {
    const regex = ['<user> from <ip>'];
    const from = await filterOf({
      regex,
      actions: { unban: { cmd: ['unban', '<ip>', '<user>'], after: '10s' } },
    });
    const swapped = await filterOf({
      regex: ['from <ip> as <user>'],
      actions: { unban: { cmd: ['unban', '<ip>', '<user>'], after: '10s' } },
    });
    const h = harness();
    h.scheduler.trigger(from, ['root', '1.2.3.4'], h.clock.now());
    assert.deepEqual(
      from.patterns.map((p) => p.name),
      ['user', 'ip'],
    );
    assert.deepEqual(
      swapped.patterns.map((p) => p.name),
      ['ip', 'user'],
    );
    h.scheduler.reconfigure(new Map([[from, swapped]]), reorder);
    assert.deepEqual(h.scheduler.pending()[0]?.values, ['1.2.3.4', 'root']);
    const onlyIp = await filterOf({ actions: { unban: { cmd: ['unban', '<ip>'], after: '10s' } } });
    const other = harness();
    other.scheduler.trigger(onlyIp, ['1.2.3.4'], other.clock.now());
    assert.equal(other.scheduler.reconfigure(new Map([[onlyIp, from]]), reorder), 1);
    h.clock.advance(h.start + 20_000);
    other.clock.advance(other.start + 20_000);
    assert.deepEqual(h.ran, ['10000 unban 1.2.3.4 root']);
    assert.deepEqual(other.ran, []);
  });
});

describe('Scheduler.reconfigure() and the bans with no end', () => {
  const NFT_BAN = { type: 'nftables', options: { set: 'bans' } };

  test('a ban with no end follows its filter: in effect under the new definition, lifted by it', async () => {
    const from = await filterOf({ actions: { ban: NFT_BAN } });
    const to = await filterOf({ retry: 1, actions: { ban: NFT_BAN, note: BAN } });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.reconfigure(new Map([[from, to]]), reorder);
    assert.deepEqual(
      h.scheduler.inEffect().map((l) => [l.filter, l.values]),
      [[to, ['1.2.3.4']]],
    );
    assert.equal(h.state.load().triggers.length, 1);
    // A new trigger of the match finds it in effect, under the new definition.
    assert.equal(h.scheduler.trigger(to, ['1.2.3.4'], h.clock.now()), 'held');
    const flushed = h.scheduler.flush(() => true);
    assert.deepEqual(
      flushed.map((f) => f.lifted),
      [true],
    );
    await h.scheduler.idle();
    assert.deepEqual(h.ran, ['0 add bans 1.2.3.4', '0 delete bans 1.2.3.4']);
    assert.deepEqual(h.scheduler.inEffect(), []);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a ban with no end of a removed filter is lifted, in the set that holds it', async () => {
    const from = await filterOf({ actions: { ban: NFT_BAN } });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.reconfigure(new Map(), reorder);
    await h.scheduler.idle();
    assert.deepEqual(h.ran, ['0 add bans 1.2.3.4', '0 delete bans 1.2.3.4']);
    assert.deepEqual(h.scheduler.inEffect(), []);
    assert.deepEqual(h.state.load().triggers, []);
  });

  test('a ban with no end whose new definition no longer bans is lifted by the old one', async () => {
    const from = await filterOf({ actions: { ban: NFT_BAN } });
    const to = await filterOf({ actions: { ban: BAN } });
    const h = harness();
    h.scheduler.trigger(from, ['1.2.3.4'], h.clock.now());
    h.scheduler.reconfigure(new Map([[from, to]]), reorder);
    await h.scheduler.idle();
    assert.deepEqual(h.ran, ['0 add bans 1.2.3.4', '0 delete bans 1.2.3.4']);
    assert.deepEqual(h.scheduler.inEffect(), []);
    assert.deepEqual(h.state.load().triggers, []);
  });
});
