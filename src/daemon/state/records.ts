// What the persistent state holds (triggers with their actions and lines, counts, the history
// of triggers that ended), the interface through which its owners write it — the scheduler,
// the filters, the control answers (waiting for durability) — and the one the control
// answers read it back through. Owns no state; the Store implements both, and anything that
// runs the daemon's logic without a file (an offline replay) can too.

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
  /** The log lines that counted toward it, oldest first (none for `ban` and `trigger`). */
  readonly lines: readonly string[];
}

/** How a trigger ended: its last action ran at its time, run early by a flush, or another took its place. */
export type EndHow = 'done' | 'flushed' | 'replaced';

export interface Ended {
  readonly time: number;
  readonly how: EndHow;
}

/** A trigger that ended, as the history keeps it. */
export interface PastTrigger {
  readonly stream: string;
  readonly filter: string;
  readonly values: readonly string[];
  readonly time: number;
  readonly ended: Ended;
  readonly lines: readonly string[];
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
  /** The line of each time ("" when it came without one). */
  readonly lines: readonly string[];
}

/** The recent matches of one match: their times, oldest first, and the line of each. */
export interface Recent {
  readonly times: readonly number[];
  readonly lines: readonly string[];
}

/** Where a filter reads the recent matches of one of its matches (none: the match is forgotten). */
export type TimesOf = (key: string) => Recent | undefined;

/**
 * A filter's counts as the state sees them: the filter says which match changed, and the
 * state reads its times when it writes, once per commit.
 */
export interface FilterCounts {
  readonly stream: string;
  readonly filter: string;
  readonly timesOf: TimesOf;
  /**
   * `appended`: the one change is a match added after all the others (at or after the last
   * time), some perhaps dropped at the front; the state then writes only what was added.
   * Without it, the state writes the match's times again whole.
   */
  changed(key: string, values: readonly string[], appended?: boolean): void;
}

/** The writes of the daemon's parts; each is durable before the effect it allows. */
export interface StateWrites {
  /** A new trigger: durable before any of its actions starts (see `afterCommit`). */
  addTrigger(trigger: StoredTrigger): void;
  setDue(trigger: number, action: string, due: number): void;
  /** An action that ended; a crash before this is durable makes it run again at restart. */
  setDone(trigger: number, action: string): void;
  /** Removes a trigger; with `ended`, it goes to the history (a trigger refused goes nowhere). */
  forgetTrigger(trigger: number, ended?: Ended): void;
  /** Drops the history of triggers that ended before `oldest`, and the oldest beyond `most`. */
  pruneHistory(oldest: number, most: number): void;
  /** Where a filter records the changes of its counts; `key` is unique to a match in the filter. */
  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts;
  /**
   * Runs `callback` once every write queued so far is durable (`durable` true), or once their
   * commit failed (false: logged, and the writes are kept to retry).
   */
  afterCommit(callback: (durable: boolean) => void, options?: { counts?: boolean }): void;
}

/** What the control answers read back: committed rows, so they read after a commit. */
export interface StateReads {
  /** The triggers that ended at `since` or later and that `select` keeps, oldest first. */
  history(
    since: number,
    select: (stream: string, filter: string, values: readonly string[]) => boolean,
  ): PastTrigger[];
}
