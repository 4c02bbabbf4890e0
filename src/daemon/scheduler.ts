// The triggers and their pending actions: owns every trigger whose actions are not all done,
// with the due times of their delayed actions (dues.ts). Receives triggers from the filters
// and the control socket, and stored triggers at start-up; sends actions to run, one match
// at a time through its lane, and every change to the store before its effect. Also owns the
// bans with no end (a kernel-set ban without an unban, triggers.ts), in effect until a flush
// or an unban lifts them. Kept lean: 100k pending triggers are 100k small objects and one
// heap entry each.
//
// The invariant, enforced here and in lanes.ts and revive.ts: for one match, the actions of a
// trigger take effect in their order — its immediate actions (started together, by name),
// then its delayed ones by due time — whatever restarts, flushes and concurrency do; an
// action that comes before one that ran never runs again, and nothing runs of a trigger
// whose last action ran. How:
// - each match has one lane: an action is handed to the runner only once the ones before it,
//   of the same match, have ended (trigger, delayed, restore, flush, onexit alike), so no
//   concurrency limit, queue or batch downstream can reorder or overlap them;
// - a trigger with delayed actions starts nothing before its row is durable, and is refused
//   when it cannot be stored: a ban whose unban could be lost is never applied;
// - an action run before its due time (flush, onexit) has "due now" made durable before it
//   starts, or does not run; at shutdown, the pending actions before an onexit one are
//   recorded as done. So the record of any delayed action that ran says it is done, or due
//   no later than when it ran: overdue at a restart, where revive.ts applies no ban again
//   once one of its delayed actions is done or overdue;
// - the record of an action done may be lost in a crash (it is written within a second): it
//   then runs again (an unban twice: harmless), after what comes before it, never before;
// - a ban with no end is lifted (its set additions run as deletions, after everything of its
//   match handed over before) only once its trigger's row is durably gone: a restart never
//   applies it again after its lift. Until then it is applied again at each start-up;
// - a reload (reconfigure) gives every trigger pending or handed over its filter's new
//   definition, and a lane knows its match by the filter's id and the values by name: one
//   match never has two lanes, and an action runs as defined when its turn comes. A ban with
//   no end follows its filter's new definition while that still holds it (held.ts), and is
//   lifted otherwise, by the definition that applied it;
// - a trigger dated in the past (another host's line, counted at its own time) whose delayed
//   actions are all overdue is over before it began here: nothing of it runs (an unban of a
//   ban never applied could undo another filter's ban of the same address); otherwise its
//   overdue actions run at once, in their order, after its immediate ones. A trigger of this
//   host's lines is never over: when counting lags behind a short `after`, its ban runs,
//   then its unban.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { type Clock, systemClock } from '../lib/clock.js';
import { log, quote } from '../lib/log.js';
import { Dues } from './dues.js';
import { HeldBans } from './held.js';
import type { Step } from './lanes.js';
import { familyAllows, revive } from './revive.js';
import type { Ended, StateWrites, StoredTrigger } from './state/records.js';
import { type RunAction, Steps } from './steps.js';
import {
  ByMatch,
  bansForGood,
  dueOrder,
  earliest,
  type Live,
  newLive,
  pendingActions,
} from './triggers.js';

export type { RunAction } from './steps.js';
export { type Live, pendingActions } from './triggers.js';

/**
 * What a trigger did: started a new trigger, moved the pending actions of the match later
 * (`extend`), was dropped (`ignore`), found the match's ban with no end in effect (`held`),
 * or runs nothing: no action for the match's address family, or a trigger from the past whose
 * delayed actions are all overdue (`none`).
 */
export type Outcome = 'triggered' | 'extended' | 'ignored' | 'held' | 'none';

/** A trigger a flush ran early or lifted, with the pending actions it had. */
export interface Flushed {
  readonly live: Live;
  readonly actions: Map<string, number>;
  /** Whether it was a ban with no end, now lifted. */
  readonly lifted: boolean;
}

/** What the restore at start-up did, for its summary line. */
export interface Restored {
  /** Bans with no end, in effect again. */
  readonly held: number;
  /** Actions already done that run again (the bans of triggers still in effect). */
  readonly again: number;
  /** Actions run now for the first time (overdue, or cut off by the stop). */
  readonly overdue: number;
}

export class Scheduler {
  readonly #store: StateWrites;
  readonly #clock: Clock;
  readonly #steps: Steps;
  readonly #byMatch = new ByMatch();
  readonly #held: HeldBans;
  readonly #dues: Dues;
  #nextId = 1;
  #pending = 0;
  /** Pending actions that start-up dropped: "action not run: why" → how many. */
  readonly #dropped = new Map<string, number>();
  #restored = { held: 0, again: 0, overdue: 0 };

  constructor(deps: { store: StateWrites; run: RunAction; clock?: Clock }) {
    this.#store = deps.store;
    this.#clock = deps.clock ?? systemClock;
    this.#steps = new Steps(deps.run, (step) => this.#ended(step));
    this.#held = new HeldBans({
      store: this.#store,
      steps: this.#steps,
      end: (live, ended) => this.#end(live, ended),
    });
    this.#dues = new Dues(this.#clock, (live, now) => this.#fall(live, now));
  }

  /**
   * A trigger of `filter` for `values` at `now`, with the lines that counted toward it and the
   * `duplicates` rule of §2.4. A ban with no end in effect for the match stays as it is, or,
   * under `rerun`, is replaced by the new trigger. With `carried`, `now` is a time the line
   * brought with it (a line of another host, counted at its own time): such a trigger whose
   * delayed actions are all overdue already is over before it began here, and runs nothing —
   * an unban of a ban never applied could undo another filter's ban of the same address. A
   * line of this host is never over: when counting lags behind a short `after`, its ban runs,
   * then its unban.
   */
  trigger(
    filter: Filter,
    values: readonly string[],
    now: number,
    lines: readonly string[] = [],
    carried = false,
  ): Outcome {
    const latest = this.#byMatch.latest(filter, values);
    if (latest !== undefined && filter.duplicates !== 'rerun') {
      if (filter.duplicates === 'extend') {
        this.#extend(latest, now);
        return 'extended';
      }
      log(
        'INFO',
        `${idOf(filter)}: trigger ${show(values)} ignored: its actions are still pending`,
      );
      return 'ignored';
    }
    const held = this.#held.latest(filter, values);
    if (held !== undefined && filter.duplicates !== 'rerun') {
      log(
        'INFO',
        `${idOf(filter)}: trigger ${show(values)} ignored: its ban with no end is in effect`,
      );
      return 'held';
    }
    const actions = filter.actions.filter((a) => familyAllows(a, values));
    if (actions.length === 0) return 'none';
    if (carried && isOver(actions, now, this.#clock.now())) {
      log(
        'INFO',
        `${idOf(filter)}: trigger ${show(values)} at ${new Date(now).toISOString()} is over already: nothing to run`,
      );
      return 'none';
    }
    log('INFO', `${idOf(filter)}: trigger ${show(values)}`);
    if (held !== undefined) this.#end(held, { time: now, how: 'replaced' });
    const live = newLive({ id: this.#nextId++, filter, values, time: now, lines }, 'storing');
    this.#store.addTrigger({
      id: live.id,
      stream: filter.stream,
      filter: filter.name,
      values,
      time: now,
      actions: actions.map((a) => ({ name: a.name, due: now + a.after, done: false })),
      lines,
    });
    for (const a of actions) if (a.delayed) this.#setPending(live, a, now + a.after);
    if (bansForGood(actions)) this.#held.hold(live);
    this.#store.afterCommit((durable) => this.#stored(live, actions, durable));
    return 'triggered';
  }

  /** Start-up: a stored trigger goes on as revive.ts decides (§2.5). */
  restore(stored: StoredTrigger, filter: Filter, now: number): void {
    this.#nextId = Math.max(this.#nextId, stored.id + 1);
    const revival = revive(stored, filter, now);
    for (const { name, why } of revival.dropped) {
      const key = `${idOf(filter)}.${name} not run: ${why}`;
      this.#dropped.set(key, (this.#dropped.get(key) ?? 0) + 1);
    }
    const { id, values, time, lines } = stored;
    const live = newLive({ id, filter, values, time, lines }, 'stored');
    for (const name of revival.skipped) this.#store.setDone(live.id, name);
    for (const { action, due } of revival.later) this.#setPending(live, action, due);
    if (revival.held) this.#held.hold(live);
    if (live.pendingCount > 0) this.#dues.queue(live, earliest(live));
    const steps = revival.now.map(({ action, record }) => ({
      live,
      action,
      record,
      restored: true,
    }));
    this.#restored.held += revival.held ? 1 : 0;
    for (const { record } of steps) this.#restored[record ? 'overdue' : 'again']++;
    this.#steps.hand(steps);
    this.#settle(live);
  }

  /**
   * After the last restore(): says which stored actions the configuration no longer runs;
   * returns what the restore did.
   */
  restored(): Restored {
    for (const [what, n] of this.#dropped) log('WARN', `state: ${n} pending action(s) ${what}`);
    this.#dropped.clear();
    const restored = this.#restored;
    this.#restored = { held: 0, again: 0, overdue: 0 };
    return restored;
  }

  /**
   * Runs now the pending actions of the triggers `select` keeps, and lifts their bans with no
   * end; returns them with the due times their actions had.
   */
  flush(select: (filter: Filter, values: readonly string[]) => boolean): Flushed[] {
    const flushed: Flushed[] = [];
    for (const live of this.inEffect()) {
      if (!select(live.filter, live.values)) continue;
      log('INFO', `${idOf(live.filter)}: flush ${show(live.values)}`);
      flushed.push({ live, actions: pendingActions(live), lifted: live.held });
    }
    const early = flushed.filter((f) => !f.lifted).map(({ live }) => live);
    for (const live of early) live.flushed = true;
    this.#runEarly(early.map((live) => [live, () => true] as const));
    const now = this.#clock.now();
    for (const f of flushed) if (f.lifted) this.#held.lift(f.live, now);
    return flushed;
  }

  /**
   * A reload: each trigger with pending actions, or with actions handed over, goes on under
   * its filter's new definition (`next`, by the old definition). Its pending actions keep
   * their due times and run as now defined, in its lane as before (lanes.ts knows a match by
   * its filter's id and its values by name, which a reload keeps); what was handed over runs
   * as it was. A pending action whose action was removed, or whose new family restriction
   * excludes the match, is dropped, as revive.ts drops it at a restart. A trigger of a removed
   * filter, or whose values `reorder` cannot give in the new patterns' order, is refused:
   * nothing more of it runs, but a lift already on its way. Actions added to a filter are for
   * later triggers. A ban with no end follows its filter while the new definition still holds
   * it, else it is lifted (held.ts). Returns the pending actions dropped.
   */
  reconfigure(
    next: ReadonlyMap<Filter, Filter>,
    reorder: (from: Filter, to: Filter, values: readonly string[]) => readonly string[] | undefined,
  ): number {
    const before = this.#pending;
    const lives = [...this.pending(), ...this.#steps.handedOver(), ...this.#held.all()];
    for (const live of new Set(lives)) {
      const to = next.get(live.filter);
      const values = to === undefined ? undefined : reorder(live.filter, to, live.values);
      if (live.held) {
        this.#held.reconfigure(live, to, values, this.#clock.now());
        continue;
      }
      const pending = pendingActions(live);
      for (let i = 0; i < live.due.length; i++) this.#take(live, i);
      if (to === undefined || values === undefined) {
        // Over already (lifted by a flush, or replaced under `rerun`), it is forgotten, and
        // what it handed over runs as made: a removed filter's ban is still lifted.
        if (live.phase === 'over') continue;
        // Nothing more of it runs: what waits in its lane is dropped with what was pending.
        this.#store.forgetTrigger(live.id);
        live.phase = 'refused';
        continue;
      }
      live.filter = to;
      live.values = values;
      live.due.splice(0, live.due.length, ...to.actions.map(() => Number.NaN));
      for (const action of to.actions) {
        const due = pending.get(action.name);
        if (due !== undefined && familyAllows(action, values)) this.#setPending(live, action, due);
      }
      // Its heap entry stays at its old earliest due time, which is no later than the new one.
      if (live.pendingCount > 0 && live.phase === 'stored') this.#dues.queue(live, earliest(live));
      this.#settle(live);
    }
    return before - this.#pending;
  }

  /** Triggers with pending actions. */
  pending(): Live[] {
    return this.#byMatch.all();
  }

  /** Triggers in effect, for `show`: those with pending actions, and the bans with no end. */
  inEffect(): Live[] {
    return [...this.#byMatch.all(), ...this.#held.all()];
  }

  /** Pending actions, all triggers together. */
  get size(): number {
    return this.#pending;
  }

  /** Shutdown: stops the timer and runs the pending actions marked `onexit`. */
  stop(): void {
    this.#dues.stop();
    this.#runEarly(this.pending().map((live) => [live, (a: Action) => a.onexit] as const));
  }

  /** Resolves once no action is waiting to run or running. */
  idle(): Promise<void> {
    return this.#steps.idle();
  }

  /** A new trigger's row is durable, or could not be made so. */
  #stored(live: Live, actions: readonly Action[], durable: boolean): void {
    // Lifted or replaced before its row was written: nothing of it runs.
    if (live.phase === 'over') return;
    if (!durable && actions.some((a) => a.delayed)) {
      log(
        'ERROR',
        `${idOf(live.filter)}: trigger ${show(live.values)} refused: it cannot be stored, and a restart would lose its pending actions`,
      );
      for (let i = 0; i < live.due.length; i++) this.#take(live, i);
      live.phase = 'refused';
      this.#store.forgetTrigger(live.id);
      return;
    }
    live.phase = 'stored';
    const now = actions.filter((a) => !a.delayed).map((action) => ({ live, action, record: true }));
    this.#steps.hand(now);
    if (live.pendingCount > 0) this.#dues.queue(live, earliest(live));
    this.#settle(live);
  }

  /**
   * Runs now, in each trigger's order, the pending actions that `which` keeps, once their due
   * time is stored as now (or as before, if that was earlier): a restart then sees them
   * overdue, not in the future with the ban that preceded them to apply again. If that cannot
   * be stored, they are not run: they stay pending at their times. A pending action that
   * comes before one of them and that `which` leaves (shutdown: not `onexit`) is recorded as
   * done, never to run.
   */
  #runEarly(lives: readonly (readonly [Live, (action: Action) => boolean])[]): void {
    const now = this.#clock.now();
    const early: { step: Step<Live>; due: number }[] = [];
    for (const [live, which] of lives) {
      const order = dueOrder(live, Number.POSITIVE_INFINITY);
      const last = order.findLastIndex((i) => which(live.filter.actions[i]!));
      for (const i of order.slice(0, last + 1)) {
        const action = live.filter.actions[i]!;
        const due = live.due[i]!;
        this.#take(live, i);
        if (!which(action)) {
          // Before one that runs now, in the trigger's order: it would undo it if run later.
          this.#store.setDone(live.id, action.name);
          continue;
        }
        // No later than now, and no earlier than before: the stored order stays the order.
        this.#store.setDue(live.id, action.name, Math.min(due, now));
        early.push({ step: this.#steps.count({ live, action, record: true }), due });
      }
    }
    if (early.length === 0) return;
    this.#store.afterCommit((durable) => {
      if (durable) for (const { step } of early) this.#steps.push([step]);
      else this.#putBack(early);
    });
  }

  /** Early actions whose new due time could not be stored: pending again, at their times. */
  #putBack(early: readonly { step: Step<Live>; due: number }[]): void {
    log(
      'ERROR',
      `state: ${early.length} action(s) to run before their time (flush, onexit) not run: their new due time cannot be stored; they stay pending at their times`,
    );
    for (const { step, due } of early) {
      const { live } = step;
      this.#steps.drop(live, 1);
      if (live.phase === 'refused') continue;
      // Its action as the trigger's filter now defines it: a reload may have come meanwhile.
      const action = live.filter.actions.find((a) => a.name === step.action.name);
      if (action !== undefined && familyAllows(action, live.values)) {
        this.#store.setDue(live.id, action.name, due);
        this.#setPending(live, action, due);
        this.#dues.queue(live, earliest(live));
      }
      this.#settle(live);
    }
  }

  #extend(live: Live, now: number): void {
    log('INFO', `${idOf(live.filter)}: trigger ${show(live.values)} extends its pending actions`);
    live.filter.actions.forEach((action, i) => {
      const due = live.due[i]!;
      // Never earlier (a trigger from the past extends nothing): the heap entry stays, and
      // moves when it surfaces.
      if (Number.isNaN(due) || now + action.after <= due) return;
      live.due[i] = now + action.after;
      this.#store.setDue(live.id, action.name, now + action.after);
    });
  }

  /** An action of the trigger waits until `due`; the heap learns of it once the trigger is stored. */
  #setPending(live: Live, action: Action, due: number): void {
    if (live.pendingCount === 0) this.#byMatch.link(live);
    const i = live.filter.actions.indexOf(action);
    if (Number.isNaN(live.due[i]!)) {
      live.pendingCount++;
      this.#pending++;
    }
    live.due[i] = due;
  }

  /** An action no longer pending: it is about to run, or its trigger was refused. */
  #take(live: Live, i: number): void {
    if (Number.isNaN(live.due[i]!)) return;
    live.due[i] = Number.NaN;
    live.pendingCount--;
    this.#pending--;
    if (live.pendingCount === 0) this.#byMatch.unlink(live);
  }

  /** The earliest due time of a trigger has come: its actions due by now go to its lane. */
  #fall(live: Live, now: number): void {
    for (const i of dueOrder(live, now)) {
      this.#take(live, i);
      this.#steps.hand([{ live, action: live.filter.actions[i]!, record: true }]);
    }
    if (live.pendingCount > 0) this.#dues.queue(live, earliest(live));
  }

  /** A step has ended: recorded as done (unless it was a re-run), its trigger over if it was the last. */
  #ended(step: Step<Live>): void {
    const { live, action } = step;
    if (step.record && live.phase !== 'refused') this.#store.setDone(live.id, action.name);
    this.#settle(live);
  }

  /** Forgets a trigger once nothing of it is pending, waiting or running, and it holds no ban. */
  #settle(live: Live): void {
    if (live.pendingCount > 0 || live.steps > 0 || live.phase !== 'stored' || live.held) return;
    this.#end(live, { time: this.#clock.now(), how: live.flushed ? 'flushed' : 'done' });
  }

  /** A trigger over: forgotten, into the history. */
  #end(live: Live, ended: Ended): void {
    this.#held.release(live);
    live.phase = 'over';
    this.#store.forgetTrigger(live.id, ended);
  }
}

/**
 * Whether a trigger at `time` has delayed actions and all of them were due before `now`: one
 * of the present, even with `after: 0s`, is not over.
 */
function isOver(actions: readonly Action[], time: number, now: number): boolean {
  const delayed = actions.filter((a) => a.delayed);
  return delayed.length > 0 && delayed.every((a) => time + a.after < now);
}

function idOf(filter: Filter): string {
  return `${filter.stream}.${filter.name}`;
}

function show(values: readonly string[]): string {
  return values.map(quote).join(' ');
}
