// Rate-limits a noisy kind of log line: the first few of each interval are written, the
// rest are only counted, and one line at the end of the interval says how many were left
// out. Receives events; sends lines to log.ts. Anything a remote party can repeat at will
// (malformed requests, refused connections) is logged through one of these.

import { type Level, log } from './log.js';

export interface LimiterOptions {
  /** Lines written per interval before the rest are counted instead; default 5. */
  readonly burst?: number;
  /** In ms; default a minute. */
  readonly interval?: number;
}

export class LogLimiter {
  readonly #what: string;
  readonly #burst: number;
  readonly #interval: number;
  #windowStart = Number.NEGATIVE_INFINITY;
  #written = 0;
  #suppressed = 0;
  #level: Level = 'INFO';
  #timer: NodeJS.Timeout | undefined;

  /** `what` names the kind of line in the summary: "control: malformed requests". */
  constructor(what: string, options: LimiterOptions = {}) {
    this.#what = what;
    this.#burst = options.burst ?? 5;
    this.#interval = options.interval ?? 60_000;
  }

  log(level: Level, message: string): void {
    const now = Date.now();
    if (now - this.#windowStart >= this.#interval) {
      this.#summarise();
      this.#windowStart = now;
      this.#written = 0;
    }
    if (this.#written < this.#burst) {
      this.#written++;
      log(level, message);
      return;
    }
    this.#suppressed++;
    this.#level = level;
    if (this.#timer === undefined) {
      const left = this.#windowStart + this.#interval - now;
      // Unreferenced: a summary still to come must not keep riposte running.
      this.#timer = setTimeout(() => this.#summarise(), left).unref();
    }
  }

  #summarise(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#suppressed === 0) return;
    const n = this.#suppressed;
    this.#suppressed = 0;
    const seconds = Math.round(this.#interval / 1000);
    log(this.#level, `${this.#what}: ${n} more in the last ${seconds} s, not logged`);
  }
}
