// A trigger as the scheduler keeps it while any of its actions is pending or running, or
// while it holds a ban with no end; the index of those with pending actions, or with such a
// ban, by match (for duplicates, `show`, `flush` and `unban`); which triggers hold a ban with
// no end, and the actions that lift it. Owns those indexes; receives the triggers the
// scheduler links and unlinks; sends them back by match, and their pending actions in the
// trigger's order.

import type { Action, SetAction } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { keyOf } from './filter.js';

export interface Live {
  readonly id: number;
  /** Replaced by its new definition at a reload, with the values in its pattern order. */
  filter: Filter;
  values: readonly string[];
  readonly time: number;
  /** The log lines that counted toward it, oldest first. */
  readonly lines: readonly string[];
  /** Due time of each of the filter's actions (same index) still pending; NaN otherwise. */
  readonly due: number[];
  pendingCount: number;
  /** Actions handed over to run (waiting for a commit, for their turn, or running), not ended. */
  steps: number;
  /** The key of this trigger's entry in the heap, NaN when it has none. */
  queuedAt: number;
  /**
   * Storing until its row is durable; refused if it could not be, or if a reload removed its
   * filter; over once forgotten.
   */
  phase: 'storing' | 'stored' | 'refused' | 'over';
  /** A ban with no end (see bansForGood), in effect until a flush or an unban lifts it. */
  held: boolean;
  /** Its pending actions were run early by a flush: how the history tells its end. */
  flushed: boolean;
}

export function newLive(
  t: {
    readonly id: number;
    readonly filter: Filter;
    readonly values: readonly string[];
    readonly time: number;
    readonly lines: readonly string[];
  },
  phase: Live['phase'],
): Live {
  // Every field named: a literal of one shape, where a spread of `t` copied whatever it held.
  return {
    id: t.id,
    filter: t.filter,
    values: t.values,
    time: t.time,
    lines: t.lines,
    due: t.filter.actions.map(() => Number.NaN),
    pendingCount: 0,
    steps: 0,
    queuedAt: Number.NaN,
    phase,
    held: false,
    flushed: false,
  };
}

/** An action that puts the address of a match in a kernel set: a ban riposte can undo. */
function isSetAdd(action: Action): action is Action & SetAction {
  return (action.type === 'nftables' || action.type === 'ipset') && action.add;
}

/**
 * Whether a trigger whose match runs these actions is a ban with no end: none of them is
 * delayed (no unban to wait for), and one adds the address to a kernel set, which riposte
 * knows how to undo and applies again when a restart made the set anew. A trigger of only
 * other immediate actions (commands, which may be notifications riposte cannot undo) is over
 * once they have run.
 */
export function bansForGood(actions: readonly Action[]): boolean {
  return actions.every((a) => !a.delayed) && actions.some((a) => isSetAdd(a) && !a.oneshot);
}

const lifts = new WeakMap<Action, Action>();

/** The actions that lift a ban with no end: each kernel-set addition, as a deletion. */
export function liftsOf(actions: readonly Action[]): Action[] {
  return actions.filter(isSetAdd).map((add) => {
    let lift = lifts.get(add);
    if (lift === undefined) {
      lift = Object.freeze({ ...add, add: false });
      lifts.set(add, lift);
    }
    return lift;
  });
}

/** A trigger's pending actions by name, with their due times (for show and flush). */
export function pendingActions(live: Live): Map<string, number> {
  const pending = new Map<string, number>();
  live.filter.actions.forEach((action, i) => {
    if (!Number.isNaN(live.due[i]!)) pending.set(action.name, live.due[i]!);
  });
  return pending;
}

/**
 * Indexes of the trigger's actions pending and due by `now`, in its order: due time, then
 * `after` (as revive.ts orders actions stored as due together), then name.
 */
export function dueOrder(live: Live, now: number): number[] {
  const due: number[] = [];
  live.due.forEach((time, i) => {
    if (time <= now) due.push(i);
  });
  const after = (i: number) => live.filter.actions[i]!.after;
  return due.sort((a, b) => live.due[a]! - live.due[b]! || after(a) - after(b) || a - b);
}

/** The earliest due time of the trigger's pending actions (Infinity without any). */
export function earliest(live: Live): number {
  let next = Number.POSITIVE_INFINITY;
  for (const time of live.due) if (time < next) next = time;
  return next;
}

/** Triggers by filter and match: one, or several under `rerun`. */
export class ByMatch {
  readonly #byFilter = new Map<Filter, Map<string, Live | Live[]>>();

  /** The newest trigger of a match. */
  latest(filter: Filter, values: readonly string[]): Live | undefined {
    const entry = this.#byFilter.get(filter)?.get(keyOf(values));
    return Array.isArray(entry) ? entry[entry.length - 1] : entry;
  }

  all(): Live[] {
    const lives: Live[] = [];
    for (const byValue of this.#byFilter.values()) {
      for (const entry of byValue.values()) {
        if (Array.isArray(entry)) lives.push(...entry);
        else lives.push(entry);
      }
    }
    return lives;
  }

  link(live: Live): void {
    let byValue = this.#byFilter.get(live.filter);
    if (byValue === undefined) {
      byValue = new Map();
      this.#byFilter.set(live.filter, byValue);
    }
    const key = keyOf(live.values);
    const entry = byValue.get(key);
    if (entry === undefined) byValue.set(key, live);
    else if (Array.isArray(entry)) entry.push(live);
    else byValue.set(key, [entry, live]);
  }

  unlink(live: Live): void {
    const byValue = this.#byFilter.get(live.filter);
    const key = keyOf(live.values);
    const entry = byValue?.get(key);
    if (byValue === undefined || entry === undefined) return;
    const rest = Array.isArray(entry)
      ? entry.filter((l) => l !== live)
      : entry === live
        ? []
        : [entry];
    if (rest.length === 0) byValue.delete(key);
    else byValue.set(key, rest.length === 1 ? rest[0]! : rest);
    // A filter replaced by a reload must not stay as a key.
    if (byValue.size === 0) this.#byFilter.delete(live.filter);
  }
}
