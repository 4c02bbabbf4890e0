// What a stored trigger does at start-up, as a table: the state of each of its actions in the
// file (done, or due before or after the restart), and what revive() makes of them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IP_PATTERN, streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { revive } from './revive.js';

/** ban and mail (oneshot) at once, warn after 1h, unban after 2h, send (virtual) at once. */
async function filter(): Promise<Filter> {
  const actions = {
    ban: { cmd: ['ban'] },
    mail: { cmd: ['mail'], oneshot: true },
    send: { type: 'virtual', options: { send: '<ip>', to: 'v' } },
    warn: { cmd: ['warn'], after: '1h' },
    unban: { cmd: ['unban'], after: '2h' },
  };
  const v = {
    type: 'virtual',
    filters: { g: { regex: ['<ip>'], actions: { x: { cmd: ['x'] } } } },
  };
  return (await streamFilters({ f: { regex: ['<ip>'], actions } }, IP_PATTERN, { v }))[0]!;
}

/** An action's state in the file: done, or due before (overdue) or after the restart. */
type State = 'done' | 'overdue' | 'future';
const T = 1_000_000;
const NOW = T + 5_400_000;

/** [ban, mail, send, warn, unban] → [run now ("name" or "name again"), pending, skipped]. */
const ROWS: [State[], [string[], string[], string[]]][] = [
  // Nothing delayed has fallen due: the firewall is refilled, nothing else.
  [
    ['done', 'done', 'done', 'future', 'future'],
    [['ban again'], ['warn', 'unban'], []],
  ],
  // Cut off before the ban ended: it runs, for the first time as far as the file knows.
  [
    ['overdue', 'done', 'done', 'future', 'future'],
    [['ban'], ['warn', 'unban'], []],
  ],
  // warn is due: it may have run, and it may be what undid the ban: no ban again.
  [
    ['done', 'done', 'done', 'overdue', 'future'],
    [['warn'], ['unban'], []],
  ],
  // The unban is overdue: the ban is not applied only to be lifted.
  [
    ['overdue', 'overdue', 'overdue', 'overdue', 'overdue'],
    [['warn', 'unban'], [], ['ban', 'mail', 'send']],
  ],
  // warn ran: what comes before it never runs again, or at all.
  [
    ['overdue', 'done', 'done', 'done', 'future'],
    [[], ['unban'], ['ban']],
  ],
  // A oneshot action that had not run is not run at start-up.
  [
    ['done', 'overdue', 'done', 'future', 'future'],
    [['ban again'], ['warn', 'unban'], ['mail']],
  ],
  // A virtual action is not sent again; one not sent yet is.
  [
    ['done', 'done', 'overdue', 'future', 'future'],
    [['ban again', 'send'], ['warn', 'unban'], []],
  ],
];

test('revive() decides each stored action from its state and the trigger order', async () => {
  const f = await filter();
  const names = ['ban', 'mail', 'send', 'warn', 'unban'];
  const after: Record<string, number> = { warn: 3_600_000, unban: 7_200_000 };
  for (const [states, expected] of ROWS) {
    const actions = names.map((name, i) => {
      const state = states[i]!;
      const due = state === 'future' ? NOW + 1 : Math.min(T + (after[name] ?? 0), NOW);
      return { name, due, done: state === 'done' };
    });
    const r = revive(
      { id: 1, stream: 's', filter: 'f', values: ['192.0.2.1'], time: T, actions, lines: [] },
      f,
      NOW,
    );
    const got = [
      r.now.map((n) => (n.record ? n.action.name : `${n.action.name} again`)),
      r.later.map((l) => l.action.name),
      [...r.skipped],
    ];
    assert.deepEqual(got, expected, `for ${states.join(' ')}`);
    assert.deepEqual(r.dropped, []);
  }
});
