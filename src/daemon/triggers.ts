// A trigger as the scheduler keeps it while any of its actions is pending or running, and the
// index of those with pending actions by match (for duplicates, `show` and `flush`). Owns
// that index; receives the triggers the scheduler links and unlinks; sends them back by
// match, and their pending actions in the trigger's order.

import type { Filter } from '../concepts/filter.js';
import { keyOf } from './filter.js';

export interface Live {
  readonly id: number;
  /** Replaced by its new definition at a reload, with the values in its pattern order. */
  filter: Filter;
  values: readonly string[];
  readonly time: number;
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
}

export function newLive(
  id: number,
  filter: Filter,
  values: readonly string[],
  time: number,
  phase: Live['phase'],
): Live {
  return {
    id,
    filter,
    values,
    time,
    due: filter.actions.map(() => Number.NaN),
    pendingCount: 0,
    steps: 0,
    queuedAt: Number.NaN,
    phase,
  };
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

/** The triggers with pending actions, by filter and match: one, or several under `rerun`. */
export class ByMatch {
  readonly #byFilter = new Map<Filter, Map<string, Live | Live[]>>();

  /** The newest trigger with pending actions of a match. */
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
