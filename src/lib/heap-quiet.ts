// A full garbage collection once the heap has grown and then gone quiet. V8 collects when it
// allocates: after a burst (a flood of lines, a large restore) followed by quiet, it leaves the
// burst's garbage in place, and the RSS with it. Receives a tick from its owner's timer; sends
// whether it collected.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Growth of the heap since the last collection that is worth one: below, V8's own will do. */
export const GROWTH = 32 * 1024 * 1024;
/** Less than this allocated between two ticks is quiet. */
export const QUIET = 1024 * 1024;

let collect: (() => void) | undefined;

/**
 * V8's `gc()`, which only contexts made after `--expose-gc` is set receive: the flag is read
 * when a context is made, so a new one gets it without the process starting with it.
 */
function collector(): () => void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

const heapUsed = () => process.memoryUsage().heapUsed;

export class HeapQuiet {
  /** Heap in use after the last collection asked for (at first: when made). */
  #live: number;
  /** Heap in use at the last tick. */
  #last: number;
  readonly #used: () => number;
  readonly #collect: () => void;

  constructor(o: { used?: () => number; collect?: () => void } = {}) {
    this.#used = o.used ?? heapUsed;
    this.#collect = o.collect ?? (() => collector()());
    this.#live = this.#used();
    this.#last = this.#live;
  }

  /** Collects when the heap grew by GROWTH since the last collection and was quiet since the last tick. */
  tick(): boolean {
    const used = this.#used();
    const quiet = used - this.#last < QUIET;
    this.#last = used;
    if (!quiet || used - this.#live < GROWTH) return false;
    this.#collect();
    this.#live = this.#used();
    this.#last = this.#live;
    return true;
  }
}
