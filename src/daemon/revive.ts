// What a stored trigger does at start-up (behaviour §2.5), decided from what the state file
// says of each of its actions and from the filter's current definition. Receives a stored
// trigger, its filter and the time; sends the actions to run now, in order, those to keep
// pending, those never to run, those the configuration no longer has for this match, and
// whether it holds a ban with no end.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { familyOf } from '../lib/ip.js';
import type { StoredAction, StoredTrigger } from './state/records.js';
import { bansForGood } from './triggers.js';

export interface Revival {
  /** To run now, in the trigger's order; `record` is false for a re-run of an action done. */
  readonly now: readonly { readonly action: Action; readonly record: boolean }[];
  /** Still pending, at the due time they were given. */
  readonly later: readonly { readonly action: Action; readonly due: number }[];
  /** Not done, and never to run: recorded as done. */
  readonly skipped: readonly string[];
  /** Pending actions the configuration no longer runs for this match, with why. */
  readonly dropped: readonly { readonly name: string; readonly why: string }[];
  /** A ban with no end (see bansForGood): it stays in effect until a flush or an unban. */
  readonly held: boolean;
}

interface Kept {
  readonly stored: StoredAction;
  readonly action: Action;
  readonly index: number;
}

/**
 * The rules, each for a reason:
 * - an action the current definition does not run for this match (removed, renamed, now of
 *   the other address family) is dropped: the configuration of this run decides;
 * - a `oneshot` action never runs at start-up, done or not (notifications: at most once);
 * - the immediate actions run at start-up (again, to refill a firewall that a reboot or the
 *   `stop` commands emptied, or for the first time) only while every delayed action of the
 *   trigger is still in the future. Once one has fallen due it may have run — its record of
 *   being done is written lazily — and it may be the unban: a ban applied after its unban
 *   would stay for good. When the unban is overdue, the ban it undoes is not applied only to
 *   be lifted (a non-idempotent command such as `iptables -I` would even leave a copy that
 *   the one unban does not remove). A trigger without delayed actions runs those not done,
 *   and, when it holds a ban with no end, those done again too: its ban lasts until it is
 *   lifted, as a trigger's does until its unban, and the sets were made anew at start-up;
 * - an action not done that comes, in the trigger's order, before a delayed action that ran
 *   never runs: the later one took effect (an `onexit` unban at shutdown), and the earlier
 *   one would undo it;
 * - a delayed action not done runs now if overdue, else stays pending at its stored time.
 * Pending times are kept as stored: a changed `after` applies to new triggers.
 */
export function revive(stored: StoredTrigger, filter: Filter, now: number): Revival {
  const dropped: { name: string; why: string }[] = [];
  const kept: Kept[] = [];
  for (const s of stored.actions) {
    const index = filter.actions.findIndex((a) => a.name === s.name);
    const action = filter.actions[index];
    if (action !== undefined && familyAllows(action, stored.values)) {
      kept.push({ stored: s, action, index });
    } else if (!s.done) {
      const why =
        action === undefined ? 'no longer in the configuration' : `now ${action.family}only`;
      dropped.push({ name: s.name, why });
    }
  }
  kept.sort(inOrder);
  const held = kept.length > 0 && bansForGood(kept.map((k) => k.action));
  // The last delayed action that ran: nothing before it in the order runs again, or at all.
  const lastRan = kept.findLastIndex((k) => k.action.delayed && k.stored.done);
  const pending = kept.filter((k, i) => k.action.delayed && !k.stored.done && i > lastRan);
  // Until a delayed action falls due, none of them can have run: the immediate ones may.
  const noneDue = lastRan < 0 && pending.every((k) => k.stored.due > now);
  const run: { action: Action; record: boolean }[] = [];
  const later: { action: Action; due: number }[] = [];
  const skipped: string[] = [];
  kept.forEach(({ stored: s, action }, i) => {
    if (s.done) {
      const again = !action.delayed && runsAgain(action) && (pending.length > 0 || held) && noneDue;
      if (again) run.push({ action, record: false });
    } else if (i < lastRan || action.oneshot || (!action.delayed && !noneDue)) {
      skipped.push(action.name);
    } else if (!action.delayed || s.due <= now) {
      run.push({ action, record: true });
    } else {
      later.push({ action, due: s.due });
    }
  });
  return { now: run, later, skipped, dropped, held };
}

/**
 * A trigger's order: immediate actions by name, then delayed ones by due time, then `after`
 * (a flush or a shutdown stores the actions it runs as due at the same time), then name.
 */
function inOrder(a: Kept, b: Kept): number {
  const delayed = Number(a.action.delayed) - Number(b.action.delayed);
  if (delayed !== 0 || !a.action.delayed) return delayed || a.index - b.index;
  return a.stored.due - b.stored.due || a.action.after - b.action.after || a.index - b.index;
}

/**
 * Whether an immediate action already done is run again at start-up. Not a oneshot one, and
 * not a virtual one: its line was counted by a filter whose counts were restored, and
 * sending it again would count the same offence twice (a restart would escalate every
 * current ban).
 */
function runsAgain(action: Action): boolean {
  return !action.oneshot && action.type !== 'virtual';
}

/** Whether an action's address family restriction lets it run for a match. */
export function familyAllows(action: Action, values: readonly string[]): boolean {
  if (action.family === 'any') return true;
  const value = values[action.familyPattern];
  return value !== undefined && familyOf(value) === action.family;
}
