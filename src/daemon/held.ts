// The bans with no end in effect (a kernel-set ban without an unban: bansForGood in
// triggers.ts): owns their index by match and their lift. Receives the triggers the
// scheduler holds, those a flush or an unban lifts, and the filters' new definitions at a
// reload; sends a lift's deletions to run, in
// the match's lane, once the trigger's end is durable — or, when it cannot be stored, keeps
// the ban in effect with its row written again.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { log, quote } from '../lib/log.js';
import { familyAllows } from './revive.js';
import type { Ended, StateWrites } from './state/records.js';
import type { Steps } from './steps.js';
import { ByMatch, bansForGood, type Live, liftsOf } from './triggers.js';

export class HeldBans {
  readonly #index = new ByMatch();
  readonly #store: StateWrites;
  readonly #steps: Steps;
  /** Ends a trigger: forgotten, into the history (the scheduler's #end). */
  readonly #end: (live: Live, ended: Ended) => void;

  constructor(deps: {
    store: StateWrites;
    steps: Steps;
    end: (live: Live, ended: Ended) => void;
  }) {
    this.#store = deps.store;
    this.#steps = deps.steps;
    this.#end = deps.end;
  }

  hold(live: Live): void {
    live.held = true;
    this.#index.link(live);
  }

  /** A held trigger ends (lifted, or replaced under `rerun`). */
  release(live: Live): void {
    if (live.held) this.#index.unlink(live);
    live.held = false;
  }

  latest(filter: Filter, values: readonly string[]): Live | undefined {
    return this.#index.latest(filter, values);
  }

  all(): Live[] {
    return this.#index.all();
  }

  /**
   * Lifts a ban: its set additions run again as deletions, after everything of its match
   * handed over before, once its end is durable (a restart never applies it again after its
   * lift). One lifted before its row was written never ran: there is nothing to undo.
   */
  lift(live: Live, now: number): void {
    const storing = live.phase === 'storing';
    this.#end(live, { time: now, how: 'flushed' });
    if (storing) return;
    const actions = live.filter.actions.filter((a) => familyAllows(a, live.values));
    const steps = liftsOf(actions).map((action) =>
      this.#steps.count({ live, action, record: false, lift: true }),
    );
    this.#store.afterCommit((durable) => {
      if (durable) this.#steps.push(steps);
      else this.#unlift(live, actions, steps.length);
    });
  }

  /**
   * A reload gave the ban's filter a new definition (`to`, with the values in its patterns'
   * order), or removed it (undefined). The ban follows the new definition while that still
   * holds it — the actions of its trigger still defined are a ban with no end, as revive.ts
   * finds them at the next start-up; otherwise it is lifted, by the definition that applied
   * it (a removed filter's bans do not stay in a set with nothing to lift them).
   */
  reconfigure(
    live: Live,
    to: Filter | undefined,
    values: readonly string[] | undefined,
    now: number,
  ): void {
    const names = new Set(live.filter.actions.map((a) => a.name));
    const kept =
      to === undefined || values === undefined
        ? []
        : to.actions.filter((a) => names.has(a.name) && familyAllows(a, values));
    if (to === undefined || values === undefined || !bansForGood(kept) || kept.length === 0) {
      log(
        'INFO',
        `${live.filter.stream}.${live.filter.name}: ${live.values.map(quote).join(' ')} unbanned: the reloaded configuration no longer bans it with no end`,
      );
      this.lift(live, now);
      return;
    }
    this.#index.unlink(live);
    live.filter = to;
    live.values = values;
    live.due.splice(0, live.due.length, ...to.actions.map(() => Number.NaN));
    this.#index.link(live);
  }

  /** A lift whose end could not be stored: the ban stays in effect, its row written again. */
  #unlift(live: Live, actions: readonly Action[], steps: number): void {
    log(
      'ERROR',
      `${live.filter.stream}.${live.filter.name}: ${live.values.map(quote).join(' ')} not unbanned: the end of its ban cannot be stored (see above); it stays in effect`,
    );
    live.phase = 'stored';
    this.hold(live);
    this.#store.addTrigger({
      id: live.id,
      stream: live.filter.stream,
      filter: live.filter.name,
      values: live.values,
      time: live.time,
      actions: actions.map((a) => ({ name: a.name, due: live.time, done: true })),
      lines: live.lines,
    });
    this.#steps.drop(live, steps);
  }
}
