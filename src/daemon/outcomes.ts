// What became of the actions, counted per action and timed: owns, for each action (by its
// `stream.filter.action` label), how many started, failed and timed out, and two histograms
// per action type — the time from the line that triggered to the action's start, and how
// long the action ran. Receives each start and end from the daemon's action runner; the
// metrics read it. Counted per action run, never per line.

import { ACTION_TYPES, type Action } from '../concepts/action.js';
import { Histogram } from '../lib/histogram.js';

export type ActionType = Action['type'];
export type Outcome = 'ok' | 'failed' | 'timeout';

export interface ActionCounts {
  started: number;
  failed: number;
  timedOut: number;
}

/** Seconds: an immediate ban should start within milliseconds of its line. */
const DELAY_BOUNDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: up to the default action timeout of 5 minutes. */
const DURATION_BOUNDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
];

const ZERO: Readonly<ActionCounts> = Object.freeze({ started: 0, failed: 0, timedOut: 0 });

export class ActionOutcomes {
  readonly #counts = new Map<string, ActionCounts>();
  /** From the line that made the trigger to the start of its immediate actions. */
  readonly delay = histograms(DELAY_BOUNDS);
  /** From an action's start to its end. */
  readonly duration = histograms(DURATION_BOUNDS);

  /** An action starts; `delay` (ms) is given for an immediate action of a trigger of this run. */
  started(label: string, type: ActionType, delay: number | undefined): void {
    this.#of(label).started++;
    if (delay !== undefined) this.delay.get(type)?.observe(Math.max(0, delay) / 1000);
  }

  /** An action ended after `ran` ms. */
  ended(label: string, type: ActionType, outcome: Outcome, ran: number): void {
    const counts = this.#of(label);
    if (outcome === 'failed') counts.failed++;
    else if (outcome === 'timeout') counts.timedOut++;
    this.duration.get(type)?.observe(Math.max(0, ran) / 1000);
  }

  /** The counts of one action (zeros before its first run). */
  of(label: string): Readonly<ActionCounts> {
    return this.#counts.get(label) ?? ZERO;
  }

  #of(label: string): ActionCounts {
    let counts = this.#counts.get(label);
    if (counts === undefined) {
      counts = { started: 0, failed: 0, timedOut: 0 };
      this.#counts.set(label, counts);
    }
    return counts;
  }
}

function histograms(bounds: readonly number[]): ReadonlyMap<ActionType, Histogram> {
  return new Map(ACTION_TYPES.map((type) => [type, new Histogram(bounds)]));
}
