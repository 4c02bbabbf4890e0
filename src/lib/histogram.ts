// A histogram of durations with fixed bucket bounds, as Prometheus exposes them: how many
// observations fell at or under each bound, their number and their sum. Receives
// observations in seconds; sends cumulative counts.

export class Histogram {
  /** Upper bounds in seconds, increasing; +Inf is implicit. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new RangeError('histogram bounds must increase');
    }
    this.bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += seconds;
    this.#count++;
  }

  /** Observations at or under each bound, then under +Inf (the count). */
  cumulative(): number[] {
    let total = 0;
    return this.#counts.map((n) => {
      total += n;
      return total;
    });
  }

  get sum(): number {
    return this.#sum;
  }

  get count(): number {
    return this.#count;
  }
}
