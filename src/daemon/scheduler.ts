// The triggers and their pending actions: owns every trigger whose actions are not all done,
// with one heap and one timer for all delayed actions. Receives triggers from the filters
// and the control socket, and stored triggers at start-up; sends actions to run to the
// action runner and every change to the store before its effect. Kept lean: 100k pending
// triggers are 100k small objects and one heap entry each.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { Heap } from '../lib/heap.js';
import { familyOf } from '../lib/ip.js';
import { log, quote } from '../lib/log.js';
import { keyOf } from './filter.js';
import type { StateWrites, StoredTrigger } from './state/records.js';

/** Starts one action for a match and calls `done` when it has finished, whatever its outcome. */
export type RunAction = (
  filter: Filter,
  action: Action,
  values: readonly string[],
  done: () => void,
) => void;

export interface Live {
  readonly id: number;
  readonly filter: Filter;
  readonly values: readonly string[];
  readonly time: number;
  /** Due time of each of the filter's actions (same index) still pending; NaN otherwise. */
  readonly due: number[];
  pendingCount: number;
  running: number;
  /** The key of this trigger's entry in the heap, NaN when it has none. */
  queuedAt: number;
  settled: boolean;
}

/** Longest timer armed at once: far dues are re-armed, which also absorbs clock changes. */
const MAX_TIMER = 3_600_000;

export class Scheduler {
  readonly #store: StateWrites;
  readonly #run: RunAction;
  readonly #clock: Clock;
  /** Triggers with pending actions, by filter and match: one, or several under `rerun`. */
  readonly #byMatch = new Map<Filter, Map<string, Live | Live[]>>();
  /** One entry per trigger with pending actions, at its earliest due time. */
  readonly #heap = new Heap<Live>();
  #cancelTimer: (() => void) | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  #nextId = 1;
  #pending = 0;
  /** Actions started and not yet done, of every type. */
  #running = 0;
  readonly #idle: (() => void)[] = [];
  #stopped = false;

  constructor(deps: { store: StateWrites; run: RunAction; clock?: Clock }) {
    this.#store = deps.store;
    this.#run = deps.run;
    this.#clock = deps.clock ?? systemClock;
  }

  /** A trigger of `filter` for `values` at `now`, with the `duplicates` rule of §2.4. */
  trigger(filter: Filter, values: readonly string[], now: number): void {
    const latest = this.#latest(filter, values);
    if (latest !== undefined && filter.duplicates !== 'rerun') {
      if (filter.duplicates === 'ignore') {
        log(
          'INFO',
          `${idOf(filter)}: trigger ${show(values)} ignored: its actions are still pending`,
        );
      } else {
        this.#extend(latest, now);
      }
      return;
    }
    const actions = filter.actions.filter((a) => familyAllows(a, values));
    if (actions.length === 0) return;
    log('INFO', `${idOf(filter)}: trigger ${show(values)}`);
    const live = newLive(this.#nextId++, filter, values, now);
    this.#store.addTrigger({
      id: live.id,
      stream: filter.stream,
      filter: filter.name,
      values,
      time: now,
      actions: actions.map((a) => ({ name: a.name, due: now + a.after, done: false })),
    });
    for (const a of actions) if (a.delayed) this.#schedule(live, a, now + a.after);
    this.#store.afterCommit(() => {
      for (const a of actions) if (!a.delayed) this.#start(live, a, true);
      this.#settle(live);
    });
  }

  /** Start-up: overdue actions run once, immediate ones run again while others are pending (§2.5). */
  restore(stored: StoredTrigger, filter: Filter, now: number): void {
    this.#nextId = Math.max(this.#nextId, stored.id + 1);
    const live = newLive(stored.id, filter, stored.values, stored.time);
    const overdue: Action[] = [];
    const again: Action[] = [];
    for (const s of stored.actions) {
      const action = filter.actions.find((a) => a.name === s.name);
      if (action === undefined) continue;
      if (s.done) {
        if (runsAgain(action)) again.push(action);
      } else if (s.due <= now) {
        overdue.push(action);
      } else {
        this.#schedule(live, action, s.due);
      }
    }
    if (live.pendingCount > 0) for (const a of again) this.#start(live, a, false);
    for (const a of overdue) this.#start(live, a, true);
    this.#settle(live);
  }

  /** Runs now the pending actions of the triggers `select` keeps; returns them with their due times. */
  flush(
    select: (filter: Filter, values: readonly string[]) => boolean,
  ): { live: Live; actions: Map<string, number> }[] {
    const flushed = [];
    for (const live of this.pending()) {
      if (!select(live.filter, live.values)) continue;
      const actions = pendingActions(live);
      for (const name of actions.keys()) this.#take(live, actionIndex(live.filter, name));
      log('INFO', `${idOf(live.filter)}: flush ${show(live.values)}`);
      for (const name of actions.keys()) this.#start(live, actionOf(live.filter, name), true);
      flushed.push({ live, actions });
    }
    return flushed;
  }

  /** Triggers with pending actions, for `show`. */
  pending(): Live[] {
    const lives: Live[] = [];
    for (const byValue of this.#byMatch.values()) {
      for (const entry of byValue.values()) {
        if (Array.isArray(entry)) lives.push(...entry);
        else lives.push(entry);
      }
    }
    return lives;
  }

  /** Pending actions, all triggers together. */
  get size(): number {
    return this.#pending;
  }

  /** Shutdown: stops the timer and runs the pending actions marked `onexit`. */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    for (const live of this.pending()) {
      live.filter.actions.forEach((action, i) => {
        if (!action.onexit || Number.isNaN(live.due[i]!)) return;
        this.#take(live, i);
        this.#start(live, action, true);
      });
    }
  }

  /** Resolves once no action of any type is running. */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #latest(filter: Filter, values: readonly string[]): Live | undefined {
    const entry = this.#byMatch.get(filter)?.get(keyOf(values));
    return Array.isArray(entry) ? entry[entry.length - 1] : entry;
  }

  #extend(live: Live, now: number): void {
    log('INFO', `${idOf(live.filter)}: trigger ${show(live.values)} extends its pending actions`);
    live.filter.actions.forEach((action, i) => {
      if (Number.isNaN(live.due[i]!)) return;
      // Later than before: the heap entry stays, and moves when it surfaces.
      live.due[i] = now + action.after;
      this.#store.setDue(live.id, action.name, now + action.after);
    });
  }

  #schedule(live: Live, action: Action, due: number): void {
    if (live.pendingCount === 0) this.#link(live);
    const i = actionIndex(live.filter, action.name);
    if (Number.isNaN(live.due[i]!)) {
      live.pendingCount++;
      this.#pending++;
    }
    live.due[i] = due;
    this.#queue(live, due);
  }

  /** Gives the trigger a heap entry at `due` unless it has one that surfaces earlier. */
  #queue(live: Live, due: number): void {
    if (live.queuedAt <= due) return;
    live.queuedAt = due;
    this.#heap.push(due, live);
    if (due < this.#armedFor) this.#arm();
  }

  /** An action no longer pending: it is about to run. */
  #take(live: Live, i: number): void {
    if (Number.isNaN(live.due[i]!)) return;
    live.due[i] = Number.NaN;
    live.pendingCount--;
    this.#pending--;
    if (live.pendingCount === 0) this.#unlink(live);
  }

  #arm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#stopped || this.#heap.size === 0) {
      this.#armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    const next = this.#heap.peekKey();
    this.#armedFor = next;
    const delay = Math.min(Math.max(0, next - this.#clock.now()), MAX_TIMER);
    this.#cancelTimer = this.#clock.timer(() => this.#fire(), delay);
  }

  #fire(): void {
    const now = this.#clock.now();
    while (this.#heap.peekKey() <= now) {
      const key = this.#heap.peekKey();
      const live = this.#heap.pop()!;
      if (live.queuedAt !== key) continue;
      live.queuedAt = Number.NaN;
      let next = Number.POSITIVE_INFINITY;
      live.filter.actions.forEach((action, i) => {
        const due = live.due[i]!;
        if (Number.isNaN(due)) return;
        if (due > now) {
          next = Math.min(next, due);
          return;
        }
        this.#take(live, i);
        this.#start(live, action, true);
      });
      if (next !== Number.POSITIVE_INFINITY) this.#queue(live, next);
    }
    this.#arm();
  }

  #start(live: Live, action: Action, record: boolean): void {
    live.running++;
    this.#running++;
    this.#run(live.filter, action, live.values, () => {
      live.running--;
      this.#running--;
      if (record) this.#store.setDone(live.id, action.name);
      this.#settle(live);
      if (this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  /** Forgets a trigger once nothing of it is pending or running. */
  #settle(live: Live): void {
    if (live.pendingCount > 0 || live.running > 0 || live.settled) return;
    live.settled = true;
    this.#store.forgetTrigger(live.id);
  }

  #link(live: Live): void {
    let byValue = this.#byMatch.get(live.filter);
    if (byValue === undefined) {
      byValue = new Map();
      this.#byMatch.set(live.filter, byValue);
    }
    const key = keyOf(live.values);
    const entry = byValue.get(key);
    if (entry === undefined) byValue.set(key, live);
    else if (Array.isArray(entry)) entry.push(live);
    else byValue.set(key, [entry, live]);
  }

  #unlink(live: Live): void {
    const byValue = this.#byMatch.get(live.filter);
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
  }
}

/** A trigger's pending actions by name, with their due times (for show and flush). */
export function pendingActions(live: Live): Map<string, number> {
  const pending = new Map<string, number>();
  live.filter.actions.forEach((action, i) => {
    if (!Number.isNaN(live.due[i]!)) pending.set(action.name, live.due[i]!);
  });
  return pending;
}

function newLive(id: number, filter: Filter, values: readonly string[], time: number): Live {
  return {
    id,
    filter,
    values,
    time,
    due: filter.actions.map(() => Number.NaN),
    pendingCount: 0,
    running: 0,
    queuedAt: Number.NaN,
    settled: false,
  };
}

/**
 * Whether an immediate action that already ran is run again at start-up while its trigger
 * still has actions pending: a reboot or the `stop` commands emptied the firewall. Not a
 * oneshot one, and not a virtual one: its line was counted by a filter whose counts were
 * restored, and sending it again would count the same offence twice (a restart would
 * escalate every current ban).
 */
function runsAgain(action: Action): boolean {
  return !action.delayed && !action.oneshot && action.type !== 'virtual';
}

function familyAllows(action: Action, values: readonly string[]): boolean {
  return action.family === 'any' || familyOf(values[action.familyPattern]!) === action.family;
}

function actionIndex(filter: Filter, name: string): number {
  return filter.actions.findIndex((a) => a.name === name);
}

function actionOf(filter: Filter, name: string): Action {
  return filter.actions[actionIndex(filter, name)]!;
}

function idOf(filter: Filter): string {
  return `${filter.stream}.${filter.name}`;
}

function show(values: readonly string[]): string {
  return values.map(quote).join(' ');
}
