// The time of a replay: what a line's own time is, read in the time formats of the filters
// it goes to, and the current time, which only moves forward as the daemon's counts need.
// Owns the current time; receives lines and the times they are counted at; sends times.

import { lineTime, type TimeFormat } from '../../lib/timestamp.js';

const DAY = 86_400_000;
/** Earlier than this, a time read is taken for a misreading, not for a log's. */
const EARLIEST = Date.UTC(1990, 0, 1);

export class LineTimes {
  readonly formats: readonly TimeFormat[];
  readonly #reference: number;
  /** Later than this, a time read is taken for a misreading: logs are not written ahead. */
  readonly #latest: number;
  #current: number | undefined;
  /** The times of the first and the last line read with one, in the input's order. */
  first: number | undefined;
  last: number | undefined;

  /** `reference` is the time the years of syslog dates are inferred from; `now` the wall clock. */
  constructor(formats: readonly TimeFormat[], options: { reference: number; now: number }) {
    this.formats = formats;
    this.#reference = options.reference;
    this.#latest = options.now + DAY;
  }

  /** The time `line` carries, in the first of the formats that reads a plausible one. */
  own(line: string): number | undefined {
    for (const format of this.formats) {
      const time = lineTime(line, format, this.#reference);
      if (time !== undefined && time >= EARLIEST && time <= this.#latest) {
        this.first ??= time;
        this.last = time;
        return time;
      }
    }
    return undefined;
  }

  /** Moves the current time to a line's time; false, and no move, when that is earlier. */
  seen(time: number): boolean {
    if (this.#current !== undefined && time < this.#current) return false;
    this.#current = time;
    return true;
  }

  /** The time lines are counted at now; undefined while no line had a time. */
  get current(): number | undefined {
    return this.#current;
  }
}

/**
 * The `--now` of a replay: a year (its dates are that year's), a day (up to its end) or an
 * ISO 8601 time; undefined when it is none of them.
 */
export function parseReference(text: string): number | undefined {
  if (/^\d{4}$/.test(text)) return new Date(Number(text), 11, 31).getTime() - 1;
  const time = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999` : text;
  const ms = lineTime(time, 'iso8601', 0);
  return ms !== undefined && time.length === isoLength(time) ? ms : undefined;
}

/** The length of an ISO 8601 time with nothing after it, as lineTime reads it. */
function isoLength(text: string): number {
  const found = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)?/i;
  return found.exec(text)?.[0].length ?? -1;
}
