// Time as the parts that schedule see it: the wall clock and its timers, or a manual clock
// that only moves when told (offline replays, tests of the scheduler). Owns, for the manual
// clock, the timers not yet due; sends each timer's callback when its time comes.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `delay` ms from now; returns what cancels it. */
  timer(callback: () => void, delay: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timer: (callback, delay) => {
    const timeout = setTimeout(callback, delay);
    return () => clearTimeout(timeout);
  },
};

/** A clock that stands still until `advance()`, which runs the timers due, in time order. */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; seq: number; callback: () => void }[] = [];
  #seq = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** The timers set and neither run nor cancelled yet: a scheduler at rest holds none. */
  get armed(): number {
    return this.#timers.length;
  }

  timer(callback: () => void, delay: number): () => void {
    const entry = { at: this.#now + Math.max(0, delay), seq: this.#seq++, callback };
    this.#timers.push(entry);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== entry);
    };
  }

  /** Moves time to `to` (never back), running each timer due by then at its own time. */
  advance(to: number): void {
    for (;;) {
      const next = this.#next();
      if (next === undefined || next.at > to) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
    }
    this.#now = Math.max(this.#now, to);
  }

  #next(): { at: number; seq: number; callback: () => void } | undefined {
    let best: { at: number; seq: number; callback: () => void } | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
