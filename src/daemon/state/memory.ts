// The state kept in memory only, for what runs the daemon's logic without a file: offline
// replays of logs and tests of the scheduler. Owns the records as the file would hold them;
// receives the same writes as the Store; every write is "durable" at once.

import type {
  FilterCounts,
  StateWrites,
  StoredAction,
  StoredCount,
  StoredTrigger,
  TimesOf,
} from './records.js';

export class MemoryState implements StateWrites {
  readonly #triggers = new Map<number, StoredTrigger>();
  readonly #counts = new Map<string, StoredCount>();

  addTrigger(trigger: StoredTrigger): void {
    this.#triggers.set(trigger.id, { ...trigger, actions: trigger.actions.map((a) => ({ ...a })) });
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#change(trigger, action, (a) => ({ ...a, due }));
  }

  setDone(trigger: number, action: string): void {
    this.#change(trigger, action, (a) => ({ ...a, done: true }));
  }

  forgetTrigger(trigger: number): void {
    this.#triggers.delete(trigger);
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    return {
      stream,
      filter,
      timesOf,
      changed: (key, values) => {
        const id = JSON.stringify([stream, filter, key]);
        const times = timesOf(key) ?? [];
        if (times.length === 0) this.#counts.delete(id);
        else this.#counts.set(id, { stream, filter, values, times: [...times] });
      },
    };
  }

  afterCommit(callback: () => void): void {
    callback();
  }

  /** What a restart would read back, as the Store's `load()` gives it. */
  load(): { triggers: StoredTrigger[]; counts: StoredCount[] } {
    const triggers = [...this.#triggers.values()].sort((a, b) => a.id - b.id);
    return { triggers, counts: [...this.#counts.values()] };
  }

  #change(trigger: number, action: string, f: (a: StoredAction) => StoredAction): void {
    const t = this.#triggers.get(trigger);
    if (t === undefined) return;
    const actions = t.actions.map((a) => (a.name === action ? f(a) : a));
    this.#triggers.set(trigger, { ...t, actions });
  }
}
