// The actions handed over to run and not yet ended: owns how many there are (per trigger and
// in all) and the lanes that keep one match's actions in order. Receives the steps of the
// scheduler, in each trigger's order; sends each to the runner when its turn comes (unless
// its trigger was refused or its address family excludes it), and back to the scheduler once
// it has ended.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { Lanes, type Step } from './lanes.js';
import { familyAllows } from './revive.js';
import type { Live } from './triggers.js';

/**
 * Starts one action for a match and calls `done` when it has finished, whatever its outcome;
 * `trigger` is the id of the trigger it belongs to, `time` the time it happened, `restored`
 * says that the restore at start-up runs it (restore.ts logs one summary line for them all).
 */
export type RunAction = (
  filter: Filter,
  action: Action,
  values: readonly string[],
  done: () => void,
  trigger: number,
  time: number,
  restored: boolean,
) => void;

export class Steps {
  readonly #lanes = new Lanes<Live>((step, ended) => this.#begin(step, ended));
  readonly #run: RunAction;
  readonly #ended: (step: Step<Live>) => void;
  /** Steps handed over and not yet ended, of every trigger. */
  #handed = 0;
  /** The triggers with steps handed over and not yet ended: a reload re-points them too. */
  readonly #handedOver = new Set<Live>();
  readonly #idle: (() => void)[] = [];

  /** `ended` is called once a step has ended (or was skipped), its count already taken off. */
  constructor(run: RunAction, ended: (step: Step<Live>) => void) {
    this.#run = run;
    this.#ended = ended;
  }

  /** Counts a step as handed over; it runs once pushed. */
  count(step: Step<Live>): Step<Live> {
    if (step.live.steps++ === 0) this.#handedOver.add(step.live);
    this.#handed++;
    return step;
  }

  /** Counted steps that will not run after all (their commit failed). */
  drop(live: Live, n: number): void {
    live.steps -= n;
    if (live.steps === 0) this.#handedOver.delete(live);
    this.#handed -= n;
    this.#wake();
  }

  /** Runs counted steps of one match together, after every group of it pushed before. */
  push(group: Step<Live>[]): void {
    this.#lanes.push(group);
  }

  /**
   * Counts and pushes steps of one trigger, in their order: its immediate actions in one
   * group, started together; each delayed action alone, once everything before it has ended.
   */
  hand(steps: readonly Step<Live>[]): void {
    let group: Step<Live>[] = [];
    for (const step of steps) {
      this.count(step);
      if (step.action.delayed || group.some((s) => s.action.delayed)) {
        this.push(group);
        group = [];
      }
      group.push(step);
    }
    this.push(group);
  }

  handedOver(): IterableIterator<Live> {
    return this.#handedOver.values();
  }

  /** Resolves once no action is waiting to run or running. */
  idle(): Promise<void> {
    if (this.#handed === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * A step's turn has come: runs its action as the trigger's filter now defines it, unless
   * the trigger was refused, a reload removed the action, or its family excludes the match.
   * A lift runs as it was made: it undoes what the definition of its time applied.
   */
  #begin(step: Step<Live>, ended: () => void): void {
    const { live } = step;
    const action =
      step.lift === true
        ? step.action
        : (live.filter.actions.find((a) => a.name === step.action.name) ?? step.action);
    const defined = step.lift === true || live.filter.actions.includes(action);
    const runs = live.phase !== 'refused' && defined && familyAllows(action, live.values);
    const end = (): void => {
      if (--live.steps === 0) this.#handedOver.delete(live);
      this.#handed--;
      this.#ended(step);
      ended();
      this.#wake();
    };
    const restored = step.restored === true;
    if (runs) this.#run(live.filter, action, live.values, end, live.id, live.time, restored);
    else end();
  }

  #wake(): void {
    if (this.#handed === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
