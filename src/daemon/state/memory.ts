// The state kept in memory only, for what runs the daemon's logic without a file: offline
// replays of logs and tests of the scheduler. Owns the records as the file would hold them;
// receives the same writes as the Store and answers the same reads. Every write is "durable"
// at once, or, when held, only at the next commit() the caller asks for, and lost by a
// crash() before it, as the Store's would be.

import type {
  Ended,
  FilterCounts,
  PastTrigger,
  StateReads,
  StateWrites,
  StoredAction,
  StoredCount,
  StoredTrigger,
  TimesOf,
} from './records.js';

export class MemoryState implements StateWrites, StateReads {
  readonly #triggers = new Map<number, StoredTrigger>();
  readonly #counts = new Map<string, StoredCount>();
  /** The triggers that ended, oldest end first; undefined when not kept (replays). */
  #history: PastTrigger[] | undefined;
  /** Held: the writes not yet committed, in their order, and who waits for them. */
  readonly #held: (() => void)[] | undefined;
  #waiting: ((durable: boolean) => void)[] = [];

  constructor(options: { held?: boolean; history?: boolean } = {}) {
    this.#held = options.held === true ? [] : undefined;
    this.#history = options.history === false ? undefined : [];
  }

  addTrigger(trigger: StoredTrigger): void {
    const copy = { ...trigger, actions: trigger.actions.map((a) => ({ ...a })) };
    this.#write(() => this.#triggers.set(trigger.id, copy));
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#write(() => this.#change(trigger, action, (a) => ({ ...a, due })));
  }

  setDone(trigger: number, action: string): void {
    this.#write(() => this.#change(trigger, action, (a) => ({ ...a, done: true })));
  }

  forgetTrigger(trigger: number, ended?: Ended): void {
    this.#write(() => {
      const t = this.#triggers.get(trigger);
      this.#triggers.delete(trigger);
      if (t === undefined || ended === undefined || this.#history === undefined) return;
      const { stream, filter, values, time, lines } = t;
      this.#history.push({ stream, filter, values, time, ended, lines });
    });
  }

  pruneHistory(oldest: number, most: number): void {
    this.#write(() => {
      if (this.#history === undefined) return;
      const kept = this.#history.filter((p) => p.ended.time >= oldest);
      this.#history = kept.slice(Math.max(0, kept.length - most));
    });
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    return {
      stream,
      filter,
      timesOf,
      changed: (key, values) => {
        const id = JSON.stringify([stream, filter, key]);
        const recent = timesOf(key);
        const times = [...(recent?.times ?? [])];
        const lines = [...(recent?.lines ?? [])];
        this.#write(() => {
          if (times.length === 0) this.#counts.delete(id);
          else this.#counts.set(id, { stream, filter, values, times, lines });
        });
      },
    };
  }

  afterCommit(callback: (durable: boolean) => void): void {
    if (this.#held === undefined) callback(true);
    else this.#waiting.push(callback);
  }

  history(
    since: number,
    select: (stream: string, filter: string, values: readonly string[]) => boolean,
  ): PastTrigger[] {
    return (this.#history ?? []).filter(
      (p) => p.ended.time >= since && select(p.stream, p.filter, p.values),
    );
  }

  /** Held: commits every write queued so far, or fails to (they stay queued); then tells who waits. */
  commit(options: { fail?: boolean } = {}): void {
    const held = this.#held;
    if (held === undefined) return;
    if (options.fail !== true) for (const write of held.splice(0)) write();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const callback of waiting) callback(options.fail !== true);
  }

  /** What a restart after a crash now would find: the committed records only. */
  crash(): MemoryState {
    const after = new MemoryState({
      held: this.#held !== undefined,
      history: this.#history !== undefined,
    });
    for (const [id, t] of this.#triggers) after.#triggers.set(id, t);
    for (const [id, c] of this.#counts) after.#counts.set(id, c);
    if (this.#history !== undefined) after.#history = [...this.#history];
    return after;
  }

  /** What a restart would read back, as the Store's `load()` gives it. */
  load(): { triggers: StoredTrigger[]; counts: StoredCount[] } {
    const triggers = [...this.#triggers.values()].sort((a, b) => a.id - b.id);
    return { triggers, counts: [...this.#counts.values()] };
  }

  #write(write: () => void): void {
    if (this.#held === undefined) write();
    else this.#held.push(write);
  }

  #change(trigger: number, action: string, f: (a: StoredAction) => StoredAction): void {
    const t = this.#triggers.get(trigger);
    if (t === undefined) return;
    const actions = t.actions.map((a) => (a.name === action ? f(a) : a));
    this.#triggers.set(trigger, { ...t, actions });
  }
}
