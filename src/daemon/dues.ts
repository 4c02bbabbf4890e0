// When the triggers' delayed actions fall due: owns one heap, with an entry per trigger at its
// earliest due time, and the one timer armed for the first of them. Receives the due times
// the scheduler gives; sends back each trigger whose earliest due time has come.

import type { Clock } from '../lib/clock.js';
import { Heap } from '../lib/heap.js';
import type { Live } from './triggers.js';

/** Longest timer armed at once: far dues are re-armed, which also absorbs clock changes. */
const MAX_TIMER = 3_600_000;

export class Dues {
  readonly #clock: Clock;
  readonly #due: (live: Live, now: number) => void;
  readonly #heap = new Heap<Live>();
  #cancelTimer: (() => void) | undefined;
  #armedFor = Number.POSITIVE_INFINITY;
  #stopped = false;

  /** `due` is called for a trigger once the time of its heap entry has come. */
  constructor(clock: Clock, due: (live: Live, now: number) => void) {
    this.#clock = clock;
    this.#due = due;
  }

  /** Gives the trigger a heap entry at `due` unless it has one that surfaces earlier. */
  queue(live: Live, due: number): void {
    if (live.queuedAt <= due) return;
    live.queuedAt = due;
    this.#heap.push(due, live);
    if (due < this.#armedFor) this.#arm();
  }

  /** No timer from now on (shutdown). */
  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
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
      // An entry left behind when the trigger's due times moved later: skipped.
      if (live.queuedAt !== key) continue;
      live.queuedAt = Number.NaN;
      this.#due(live, now);
    }
    this.#arm();
  }
}
