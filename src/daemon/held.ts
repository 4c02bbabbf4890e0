// The bans with no end in effect (a kernel-set ban without an unban: bansForGood in
// triggers.ts): owns their index by match and their lift. Receives the triggers the
// scheduler holds, and those a flush or an unban lifts; sends a lift's deletions to run, in
// the match's lane, once the trigger's end is durable — or, when it cannot be stored, keeps
// the ban in effect with its row written again.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { log, quote } from '../lib/log.js';
import { familyAllows } from './revive.js';
import type { Ended, StateWrites } from './state/records.js';
import type { Steps } from './steps.js';
import { ByMatch, type Live, liftsOf } from './triggers.js';

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
      this.#steps.count({ live, action, record: false }),
    );
    this.#store.afterCommit((durable) => {
      if (durable) this.#steps.push(steps);
      else this.#unlift(live, actions, steps.length);
    });
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
