// What the persistent state holds, and the interface through which its owners write it:
// the scheduler (triggers and their actions), the filters (counts), the control answers
// (waiting for durability). Owns no state; the Store implements `StateWrites`, and anything
// that runs the daemon's logic without a file (an offline replay) can too.

export interface StoredAction {
  readonly name: string;
  readonly due: number;
  readonly done: boolean;
}

export interface StoredTrigger {
  readonly id: number;
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly time: number;
  readonly actions: readonly StoredAction[];
}

export interface StoredFilter {
  readonly stream: string;
  readonly filter: string;
}

export interface StoredCount {
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly times: readonly number[];
}

/** Where a filter reads the current times of one of its matches (none: the match is forgotten). */
export type TimesOf = (key: string) => readonly number[] | undefined;

/**
 * A filter's counts as the state sees them: the filter says which match changed, and the
 * state reads its times when it writes, once per commit.
 */
export interface FilterCounts {
  readonly stream: string;
  readonly filter: string;
  readonly timesOf: TimesOf;
  changed(key: string, values: readonly string[]): void;
}

/** The writes of the daemon's parts; each is durable before the effect it allows. */
export interface StateWrites {
  /** A new trigger: durable before any of its actions starts (see `afterCommit`). */
  addTrigger(trigger: StoredTrigger): void;
  setDue(trigger: number, action: string, due: number): void;
  /** An action that ended; a crash before this is durable makes it run again at restart. */
  setDone(trigger: number, action: string): void;
  forgetTrigger(trigger: number): void;
  /** Where a filter records the changes of its counts; `key` is unique to a match in the filter. */
  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts;
  /**
   * Runs `callback` once every write queued so far is durable (`durable` true), or once their
   * commit failed (false: logged, and the writes are kept to retry).
   */
  afterCommit(callback: (durable: boolean) => void, options?: { counts?: boolean }): void;
}
