// A replay's runtime: the daemon's own counting (FilterRuntime) and scheduling (Scheduler),
// on a manual clock moved to each line's time, over an in-memory state. Owns the clock,
// the state and the record of what fired; receives lines with their times; sends nothing
// out of the process: an action is recorded and ends at once, and a virtual one feeds the
// filters of its stream as in the daemon.

import type { Config } from '../../concepts/config.js';
import type { Duplicates, Filter } from '../../concepts/filter.js';
import { literalsOf } from '../../concepts/scan.js';
import { renderTemplate } from '../../concepts/template.js';
import { ManualClock } from '../../lib/clock.js';
import { FilterRuntime, keyOf } from '../filter.js';
import { pendingActions, Scheduler } from '../scheduler.js';
import { MemoryState } from '../state/memory.js';
import type { FilterCounts, StateWrites, StoredTrigger, TimesOf } from '../state/records.js';
import { FilterTally } from './tally.js';

export interface Fired {
  readonly filter: Filter;
  readonly time: number;
  readonly values: readonly string[];
  /** The rule applied, when the match still had actions pending from an earlier trigger. */
  readonly duplicates: Duplicates | undefined;
}

export interface Ran {
  readonly filter: Filter;
  readonly action: string;
  readonly time: number;
  readonly values: readonly string[];
}

/**
 * Expired counts are dropped as they are met, which is all the counting needs; a sweep, in
 * the log's time, only keeps the memory of a long log bounded.
 */
const SWEEP_EVERY = 3_600_000;

export class ReplayRuntime {
  readonly #clock = new ManualClock();
  readonly #state = new PendingWatch();
  readonly #scheduler: Scheduler;
  readonly #config: Config;
  /** The filters every input line goes to. */
  readonly #fed: readonly Filter[];
  readonly #keepMissed: boolean;
  readonly #counters = new Map<Filter, FilterRuntime>();
  readonly #tallies = new Map<Filter, FilterTally>();
  /** The tallies of the fed filters, and the values each found in the current line. */
  readonly #fedTallies: readonly FilterTally[];
  readonly #found: (readonly string[] | undefined)[];
  readonly fired: Fired[] = [];
  readonly ran: Ran[] = [];
  /** Whether a virtual action has sent a line not yet delivered. */
  #sent = false;
  #nextSweep = Number.NEGATIVE_INFINITY;

  constructor(config: Config, options: { filters: readonly Filter[]; keepMissed: boolean }) {
    this.#config = config;
    this.#fed = options.filters;
    this.#keepMissed = options.keepMissed;
    this.#scheduler = new Scheduler({
      store: this.#state,
      clock: this.#clock,
      run: (filter, action, values, done) => {
        this.ran.push({ filter, action: action.name, time: this.#clock.now(), values });
        if (action.type === 'virtual') this.#send(action.to, renderTemplate(action.send, values));
        done();
      },
    });
    this.#fedTallies = this.#fed.map((f) => this.#tallyOf(f));
    this.#found = this.#fed.map(() => undefined);
  }

  /** `n` more input lines read, whether the filters look at them or not. */
  read(n: number): void {
    for (const tally of this.#fedTallies) tally.lines += n;
  }

  /**
   * An input line for every fed filter, counted at `time` (never earlier than a line
   * counted before); whether a regex hit it. The clock moves only when a match counts.
   */
  line(text: string, time: number, source: string, line: number): boolean {
    let hit = false;
    let counts = false;
    for (let i = 0; i < this.#fedTallies.length; i++) {
      const tally = this.#fedTallies[i]!;
      const values = tally.see(text, source, line);
      this.#found[i] = values;
      counts ||= values !== undefined;
      hit ||= tally.hit;
    }
    if (!counts) return hit;
    this.#clock.advance(time);
    if (time >= this.#nextSweep) {
      for (const counter of this.#counters.values()) counter.sweep(time);
      this.#nextSweep = time + SWEEP_EVERY;
    }
    for (let i = 0; i < this.#fed.length; i++) {
      const values = this.#found[i];
      if (values !== undefined) this.#counterOf(this.#fed[i]!).count(values, time);
    }
    // As the daemon delivers them after the line that sent them, at the time they were sent.
    while (this.#sent) {
      this.#sent = false;
      this.#clock.advance(this.#clock.now());
    }
    return hit;
  }

  /** The filters that saw lines, in the configuration's order. */
  tallies(): FilterTally[] {
    const all = this.#config.streams.flatMap((s) => s.filters);
    return all.flatMap((f) => this.#tallies.get(f) ?? []);
  }

  /**
   * The literals every line the fed filters can match holds, or null when some regex has
   * none (or a filter is of type struct): then every line must be looked at.
   */
  literals(): string[] | null {
    if (this.#fed.some((f) => f.struct !== undefined)) return null;
    return (
      literalsOf(this.#fed.flatMap((f) => f.regexes.map((r) => r.engine.literal)))?.search ?? null
    );
  }

  /** The triggers of a filter, as its runtime counts them. */
  triggersOf(filter: Filter): number {
    return this.#counters.get(filter)?.stats.triggers ?? 0;
  }

  /** The actions still pending after the last line, by due time. */
  pending(): Ran[] {
    const pending = this.#scheduler.pending().flatMap((live) =>
      [...pendingActions(live)].map(([action, due]) => ({
        filter: live.filter,
        action,
        time: due,
        values: live.values,
      })),
    );
    return pending.sort((a, b) => a.time - b.time);
  }

  #see(filter: Filter, text: string, source: string, time: number): void {
    const values = this.#tallyOf(filter).see(text, source, 0);
    if (values !== undefined) this.#counterOf(filter).count(values, time);
  }

  #tallyOf(filter: Filter): FilterTally {
    let tally = this.#tallies.get(filter);
    if (tally === undefined) {
      tally = new FilterTally(filter, { keepMissed: this.#keepMissed });
      this.#tallies.set(filter, tally);
    }
    return tally;
  }

  #counterOf(filter: Filter): FilterRuntime {
    let counter = this.#counters.get(filter);
    if (counter === undefined) {
      counter = new FilterRuntime(filter, {
        store: this.#state,
        onTrigger: (f, values, now) => this.#trigger(f, values, now),
      });
      this.#counters.set(filter, counter);
    }
    return counter;
  }

  #trigger(filter: Filter, values: readonly string[], now: number): void {
    const earlier = this.#state.hasPending(filter, values);
    // A ban with no end in effect drops the trigger, whatever the rule says of pending actions.
    const outcome = this.#scheduler.trigger(filter, values, now);
    const duplicates = outcome === 'held' ? 'ignore' : earlier ? filter.duplicates : undefined;
    this.fired.push({ filter, time: now, values, duplicates });
  }

  /** A virtual action's line, delivered to its stream's filters once the current one is done. */
  #send(to: string, text: string): void {
    this.#sent = true;
    this.#clock.timer(() => {
      const stream = this.#config.streams.find((s) => s.name === to);
      for (const filter of stream?.filters ?? []) {
        this.#tallyOf(filter).lines++;
        this.#see(filter, text, `virtual stream ${to}`, this.#clock.now());
      }
    }, 0);
  }
}

/**
 * The in-memory state, watched for the matches that have a trigger with actions pending.
 * Since a replay's actions end as soon as they start, a trigger is kept exactly as long as
 * it has pending actions, or holds a ban with no end.
 */
class PendingWatch implements StateWrites {
  readonly #memory = new MemoryState({ history: false });
  /** Trigger id → the counts of its filter, and its match key. */
  readonly #triggers = new Map<
    number,
    { readonly kept: Map<string, number>; readonly key: string }
  >();
  /** Stream → filter → match key → how many of its triggers are kept. */
  readonly #kept = new Map<string, Map<string, Map<string, number>>>();

  hasPending(filter: Filter, values: readonly string[]): boolean {
    return this.#keptOf(filter.stream, filter.name).has(keyOf(values));
  }

  addTrigger(trigger: StoredTrigger): void {
    this.#memory.addTrigger(trigger);
    const kept = this.#keptOf(trigger.stream, trigger.filter);
    const key = keyOf(trigger.values);
    this.#triggers.set(trigger.id, { kept, key });
    kept.set(key, (kept.get(key) ?? 0) + 1);
  }

  forgetTrigger(trigger: number): void {
    this.#memory.forgetTrigger(trigger);
    const known = this.#triggers.get(trigger);
    if (known === undefined) return;
    this.#triggers.delete(trigger);
    const n = (known.kept.get(known.key) ?? 1) - 1;
    if (n > 0) known.kept.set(known.key, n);
    else known.kept.delete(known.key);
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#memory.setDue(trigger, action, due);
  }

  /** A replay keeps no history: nothing reads it. */
  pruneHistory(): void {}

  setDone(trigger: number, action: string): void {
    this.#memory.setDone(trigger, action);
  }

  /** Counts are written to the state only to be read back at a restart, which a replay never does. */
  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    return { stream, filter, timesOf, changed: () => undefined };
  }

  afterCommit(callback: (durable: boolean) => void): void {
    this.#memory.afterCommit(callback);
  }

  #keptOf(stream: string, filter: string): Map<string, number> {
    let filters = this.#kept.get(stream);
    if (filters === undefined) {
      filters = new Map();
      this.#kept.set(stream, filters);
    }
    let kept = filters.get(filter);
    if (kept === undefined) {
      kept = new Map();
      filters.set(filter, kept);
    }
    return kept;
  }
}
