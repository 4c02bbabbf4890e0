// The triggers and their pending actions: owns every trigger whose actions are not all done,
// with one heap and one timer for all delayed actions. Receives triggers from the filters
// and the control socket, and stored triggers at start-up; sends actions to run to the
// action runner and every change to the store before its effect.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { Heap } from '../lib/heap.js';
import { familyOf } from '../lib/ip.js';
import { log } from '../lib/log.js';
import { keyOf } from './filter.js';
import type { Store, StoredTrigger } from './store.js';

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
  /** Delayed actions not started yet: name → due time. */
  readonly pending: Map<string, number>;
  running: number;
}

/** One heap entry per pending action; an extended action keeps its entry, moved when it surfaces. */
interface Due {
  readonly live: Live;
  readonly action: Action;
}

/** Longest timer armed at once: far dues are re-armed, which also absorbs clock changes. */
const MAX_TIMER = 3_600_000;

export class Scheduler {
  readonly #store: Store;
  readonly #run: RunAction;
  readonly #live = new Map<number, Live>();
  /** Triggers that still have pending actions, by filter and match. */
  readonly #byMatch = new Map<string, Live[]>();
  readonly #heap = new Heap<Due>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  #nextId = 1;
  /** Actions started and not yet done, of every type. */
  #running = 0;
  readonly #idle: (() => void)[] = [];
  #stopped = false;

  constructor(deps: { store: Store; run: RunAction }) {
    this.#store = deps.store;
    this.#run = deps.run;
  }

  /** A trigger of `filter` for `values` at `now`, with the `duplicates` rule of §2.4. */
  trigger(filter: Filter, values: readonly string[], now: number): void {
    const earlier = this.#byMatch.get(matchKey(filter, values));
    const latest = earlier?.[earlier.length - 1];
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
    const live = this.#create(filter, values, now);
    this.#store.addTrigger({
      id: live.id,
      stream: filter.stream,
      filter: filter.name,
      values,
      time: now,
      actions: actions.map((a) => ({ name: a.name, due: now + a.after, done: false })),
    });
    const immediate = actions.filter((a) => !a.delayed);
    for (const a of actions) if (a.delayed) this.#schedule(live, a, now + a.after);
    this.#store.afterCommit(() => {
      for (const a of immediate) this.#start(live, a, true);
      this.#settle(live);
    });
  }

  /** Start-up: overdue actions run once, immediate ones run again while others are pending (§2.5). */
  restore(stored: StoredTrigger, filter: Filter, now: number): void {
    this.#nextId = Math.max(this.#nextId, stored.id + 1);
    const live: Live = {
      id: stored.id,
      filter,
      values: stored.values,
      time: stored.time,
      pending: new Map(),
      running: 0,
    };
    this.#live.set(live.id, live);
    const byName = new Map(filter.actions.map((a) => [a.name, a]));
    const overdue: Action[] = [];
    const again: Action[] = [];
    for (const s of stored.actions) {
      const action = byName.get(s.name);
      if (action === undefined) continue;
      if (s.done) {
        if (runsAgain(action)) again.push(action);
      } else if (s.due <= now) {
        overdue.push(action);
      } else {
        this.#schedule(live, action, s.due);
      }
    }
    if (live.pending.size > 0) for (const a of again) this.#start(live, a, false);
    for (const a of overdue) this.#start(live, a, true);
    this.#settle(live);
  }

  /** Runs now the pending actions of the triggers `select` keeps; returns those triggers. */
  flush(
    select: (filter: Filter, values: readonly string[]) => boolean,
  ): { live: Live; actions: Map<string, number> }[] {
    const flushed = [];
    for (const live of this.#live.values()) {
      if (live.pending.size === 0 || !select(live.filter, live.values)) continue;
      const actions = new Map(live.pending);
      live.pending.clear();
      this.#unlink(live);
      log('INFO', `${idOf(live.filter)}: flush ${show(live.values)}`);
      for (const name of actions.keys()) this.#start(live, actionOf(live.filter, name), true);
      flushed.push({ live, actions });
    }
    return flushed;
  }

  /** Triggers with pending actions, for `show`. */
  pending(): Iterable<Live> {
    return [...this.#byMatch.values()].flat();
  }

  get size(): number {
    let n = 0;
    for (const live of this.#live.values()) n += live.pending.size;
    return n;
  }

  /** Shutdown: stops the timer and runs the pending actions marked `onexit`. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const live of this.#live.values()) {
      for (const [name] of live.pending) {
        const action = actionOf(live.filter, name);
        if (!action.onexit) continue;
        live.pending.delete(name);
        this.#start(live, action, true);
      }
    }
  }

  #create(filter: Filter, values: readonly string[], now: number): Live {
    const live: Live = {
      id: this.#nextId++,
      filter,
      values,
      time: now,
      pending: new Map(),
      running: 0,
    };
    this.#live.set(live.id, live);
    return live;
  }

  #extend(live: Live, now: number): void {
    log('INFO', `${idOf(live.filter)}: trigger ${show(live.values)} extends its pending actions`);
    for (const name of live.pending.keys()) {
      const action = actionOf(live.filter, name);
      live.pending.set(name, now + action.after);
      this.#store.setDue(live.id, name, now + action.after);
    }
  }

  #schedule(live: Live, action: Action, due: number): void {
    if (live.pending.size === 0) {
      const key = matchKey(live.filter, live.values);
      const list = this.#byMatch.get(key);
      if (list === undefined) this.#byMatch.set(key, [live]);
      else if (!list.includes(live)) list.push(live);
    }
    live.pending.set(action.name, due);
    this.#heap.push(due, { live, action });
    if (due < this.#armedFor) this.#arm();
  }

  #arm(): void {
    clearTimeout(this.#timer);
    if (this.#stopped || this.#heap.size === 0) {
      this.#armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    const next = this.#heap.peekKey();
    this.#armedFor = next;
    const delay = Math.min(Math.max(0, next - Date.now()), MAX_TIMER);
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #fire(): void {
    const now = Date.now();
    while (this.#heap.peekKey() <= now) {
      const entry = this.#heap.pop()!;
      const { live, action } = entry;
      const due = live.pending.get(action.name);
      if (due === undefined) continue;
      if (due > now) {
        this.#heap.push(due, entry);
        continue;
      }
      live.pending.delete(action.name);
      if (live.pending.size === 0) this.#unlink(live);
      this.#start(live, action, true);
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

  /** Resolves once no action of any type is running. */
  idle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Forgets a trigger once nothing of it is pending or running. */
  #settle(live: Live): void {
    if (live.pending.size > 0 || live.running > 0 || !this.#live.has(live.id)) return;
    this.#live.delete(live.id);
    this.#unlink(live);
    this.#store.forgetTrigger(live.id);
  }

  #unlink(live: Live): void {
    const key = matchKey(live.filter, live.values);
    const list = this.#byMatch.get(key);
    if (list === undefined) return;
    const rest = list.filter((l) => l !== live);
    if (rest.length === 0) this.#byMatch.delete(key);
    else this.#byMatch.set(key, rest);
  }
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

function actionOf(filter: Filter, name: string): Action {
  return filter.actions.find((a) => a.name === name)!;
}

function matchKey(filter: Filter, values: readonly string[]): string {
  return `${filter.stream}\0${filter.name}\0${keyOf(values)}`;
}

function idOf(filter: Filter): string {
  return `${filter.stream}.${filter.name}`;
}

function show(values: readonly string[]): string {
  return values.join(' ');
}
