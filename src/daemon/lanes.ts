// The order of one match's actions: owns, for each match with an action running, the actions
// waiting behind it. Receives the actions the scheduler hands over, in their order, as
// groups; sends each group to the runner only once the group before it, of the same match,
// has ended.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { keyOf } from './filter.js';

/** What a step needs of its trigger. */
export interface StepOwner {
  readonly filter: Filter;
  readonly values: readonly string[];
}

/** One action of one trigger, handed over to run. */
export interface Step<T extends StepOwner> {
  readonly live: T;
  readonly action: Action;
  /** Whether its end is recorded as done: not for a re-run at start-up of an action already done. */
  readonly record: boolean;
  /** Run by the restore at start-up, which logs one summary line for them all. */
  readonly restored?: boolean;
  /** The deletion that lifts a ban with no end: run as made, whatever a reload changed. */
  readonly lift?: boolean;
}

/**
 * One queue of groups per match, whose head is the group running. A group's steps start
 * together, in their order (a trigger's immediate actions, as behaviour §2.3 starts them);
 * the next group starts once every step of the one before has ended. So an unban handed over
 * while its ban runs (a flush, an overdue unban at start-up, a short `after`) waits for the
 * ban to end, and neither the concurrency limit, the executor's queue nor the kernel sets'
 * batches can put one before the other: the second is not handed to them before the first
 * has ended. A match is known by its filter's `STREAM.FILTER` id and its values by pattern
 * name, which a reload keeps when it gives the filter a new definition (laneOf()).
 */
export class Lanes<T extends StepOwner> {
  readonly #queues = new Map<string, Step<T>[][]>();
  readonly #run: (step: Step<T>, ended: () => void) => void;

  /** `run` starts a step and calls `ended` once, when it has ended, whatever its outcome. */
  constructor(run: (step: Step<T>, ended: () => void) => void) {
    this.#run = run;
  }

  /** Runs the steps of `group`, all of one match, after every group of it handed over before. */
  push(group: Step<T>[]): void {
    const first = group[0];
    if (first === undefined) return;
    const key = laneOf(first.live);
    const queue = this.#queues.get(key);
    if (queue !== undefined) {
      queue.push(group);
      return;
    }
    const fresh = [group];
    this.#queues.set(key, fresh);
    this.#start(fresh, key);
  }

  #start(queue: Step<T>[][], key: string): void {
    const group = queue[0]!;
    let left = group.length;
    const ended = (): void => {
      if (--left > 0) return;
      queue.shift();
      if (queue.length > 0) this.#start(queue, key);
      else this.#queues.delete(key);
    };
    for (const step of group) this.#run(step, once(ended));
  }
}

/** A match's lane: its filter's id, and its values by pattern name (one value: itself). */
function laneOf(owner: StepOwner): string {
  const { filter, values } = owner;
  const id = `${filter.stream}.${filter.name}`;
  if (values.length <= 1) return `${id}\0${keyOf(values)}`;
  const named = filter.patterns.map((p, i) => [p.name, values[i]] as const);
  return `${id}\0${JSON.stringify(named.sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

function once(f: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    f();
  };
}
