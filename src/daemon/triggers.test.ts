// What the scheduler keeps of a trigger: which actions make a ban with no end and what lifts
// it, the order of the actions due together, the earliest due time, and the index of the
// triggers by match (one, or several under `rerun`).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ByMatch, bansForGood, dueOrder, earliest, liftsOf, newLive } from './triggers.js';

/** The filters of one stream `s`, by name, with these filter keys. */
async function filtersOf(filters: Record<string, object>): Promise<Filter[]> {
  const defs = Object.entries(filters).map(([name, f]) => [name, { regex: ['<ip>'], ...f }]);
  return streamFilters(Object.fromEntries(defs));
}

/** The actions of a filter with these actions. */
async function actionsOf(actions: object) {
  const [f] = await filtersOf({ f: { actions } });
  return f!.actions;
}

const NFT = { type: 'nftables', options: { set: 'bans' } };
const IPSET = { type: 'ipset', options: { set: 'bans' } };
const NOTE = { cmd: ['note', '<ip>'] };

/** A trigger of `filter` for 1.2.3.4, its actions pending at these due times (NaN: not pending). */
function liveOf(filter: Filter, due: number[], id = 1) {
  const live = newLive({ id, filter, values: ['1.2.3.4'], time: 0, lines: [] }, 'stored');
  live.due.splice(0, live.due.length, ...due);
  return live;
}

describe('bansForGood()', () => {
  test('bansForGood() is true of an nftables or ipset ban without a delayed action, with a command beside it or not', async () => {
    assert.equal(bansForGood(await actionsOf({ ban: NFT })), true);
    assert.equal(bansForGood(await actionsOf({ ban: IPSET })), true);
    assert.equal(bansForGood(await actionsOf({ ban: NFT, note: NOTE })), true);
  });

  test('bansForGood() is false of a ban with a delayed unban, a set deletion, a oneshot ban or commands only', async () => {
    const unban = { type: 'nftables', options: { set: 'bans', action: 'delete' }, after: '1h' };
    assert.equal(bansForGood(await actionsOf({ ban: NFT, unban })), false);
    const del = { type: 'ipset', options: { set: 'bans', action: 'delete' } };
    assert.equal(bansForGood(await actionsOf({ del })), false);
    assert.equal(bansForGood(await actionsOf({ ban: { ...NFT, oneshot: true } })), false);
    assert.equal(bansForGood(await actionsOf({ note: NOTE })), false);
  });
});

describe('liftsOf()', () => {
  test('liftsOf() gives each set addition as a deletion, the same one each time, and nothing for the rest', async () => {
    const del = { type: 'ipset', options: { set: 'other', action: 'delete' } };
    const actions = await actionsOf({ a: NFT, b: IPSET, c: NOTE, d: del });
    const lifts = liftsOf(actions);
    assert.deepEqual(
      lifts.map((a) => [a.name, a.type, (a.type === 'nftables' || a.type === 'ipset') && a.add]),
      [
        ['a', 'nftables', false],
        ['b', 'ipset', false],
      ],
    );
    assert.ok(Object.isFrozen(lifts[0]));
    assert.deepEqual(
      liftsOf(actions).map((lift, i) => lift === lifts[i]),
      [true, true],
    );
  });
});

describe('dueOrder() and earliest()', () => {
  test('dueOrder() gives the actions due by now by due time, then after, then their order', async () => {
    const [f] = await filtersOf({
      f: {
        actions: {
          a: { cmd: ['a'], after: '20s' },
          b: { cmd: ['b'], after: '10s' },
          c: { cmd: ['c'], after: '10s' },
          d: { cmd: ['d'], after: '10s' },
          e: { cmd: ['e'], after: '30s' },
        },
      },
    });
    // Due at different times, against their order.
    assert.deepEqual(
      dueOrder(liveOf(f!, [300, 200, 100, Number.NaN, Number.NaN]), 1_000),
      [2, 1, 0],
    );
    // Due together (as restored): the shorter after first, then the filter's order.
    assert.deepEqual(dueOrder(liveOf(f!, [100, 100, 100, 100, 100]), 1_000), [1, 2, 3, 0, 4]);
    // Not yet due, or not pending: left out.
    assert.deepEqual(dueOrder(liveOf(f!, [100, 1_001, Number.NaN, 1_000, 50]), 1_000), [4, 0, 3]);
  });

  test('earliest() gives the earliest due time of the pending actions, Infinity without any', async () => {
    const [f] = await filtersOf({
      f: { actions: { a: { cmd: ['a'], after: '1s' }, b: { cmd: ['b'], after: '2s' } } },
    });
    assert.equal(earliest(liveOf(f!, [Number.NaN, 20])), 20);
    assert.equal(earliest(liveOf(f!, [30, 20])), 20);
    assert.equal(earliest(liveOf(f!, [Number.NaN, Number.NaN])), Number.POSITIVE_INFINITY);
  });

  test('newLive() gives a trigger nothing pending, running, queued, held or flushed', async () => {
    const [f] = await filtersOf({ f: { actions: { a: { cmd: ['a'], after: '1s' } } } });
    const live = newLive(
      { id: 7, filter: f!, values: ['1.2.3.4'], time: 5, lines: ['l'] },
      'storing',
    );
    assert.deepEqual(
      { ...live, filter: undefined },
      {
        id: 7,
        filter: undefined,
        values: ['1.2.3.4'],
        time: 5,
        lines: ['l'],
        due: [Number.NaN],
        pendingCount: 0,
        steps: 0,
        queuedAt: Number.NaN,
        phase: 'storing',
        held: false,
        flushed: false,
      },
    );
  });
});

describe('ByMatch', () => {
  test('latest() gives the newest trigger of a match; all() every trigger linked', async () => {
    const [f, g] = await filtersOf({
      f: { duplicates: 'rerun', actions: { note: NOTE } },
      g: { actions: { note: NOTE } },
    });
    const index = new ByMatch();
    const [one, two, three] = [liveOf(f!, [], 1), liveOf(f!, [], 2), liveOf(f!, [], 3)];
    const other = liveOf(g!, [], 4);
    for (const live of [one, two, three, other]) index.link(live);
    assert.equal(index.latest(f!, ['1.2.3.4']), three);
    assert.equal(index.latest(g!, ['1.2.3.4']), other);
    assert.equal(index.latest(f!, ['5.6.7.8']), undefined);
    assert.deepEqual(
      index.all().map((l) => l.id),
      [1, 2, 3, 4],
    );
    index.unlink(three);
    assert.equal(index.latest(f!, ['1.2.3.4']), two);
    index.unlink(one);
    assert.equal(index.latest(f!, ['1.2.3.4']), two);
    assert.deepEqual(
      index.all().map((l) => l.id),
      [2, 4],
    );
    index.unlink(two);
    index.unlink(other);
    assert.deepEqual(index.all(), []);
    assert.equal(index.latest(f!, ['1.2.3.4']), undefined);
  });

  test('unlink() of a trigger not linked leaves the others as they are', async () => {
    const [f, g] = await filtersOf({
      f: { actions: { note: NOTE } },
      g: { actions: { note: NOTE } },
    });
    const index = new ByMatch();
    const linked = liveOf(f!, [], 1);
    index.link(linked);
    // Another trigger of the same match, of another match, of a filter never linked.
    index.unlink(liveOf(f!, [], 2));
    const elsewhere = newLive(
      { id: 3, filter: f!, values: ['5.6.7.8'], time: 0, lines: [] },
      'stored',
    );
    index.unlink(elsewhere);
    index.unlink(liveOf(g!, [], 4));
    assert.equal(index.latest(f!, ['1.2.3.4']), linked);
    assert.deepEqual(index.all(), [linked]);
  });
});
