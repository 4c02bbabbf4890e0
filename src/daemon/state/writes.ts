// The writes not yet committed, merged as they arrive: a trigger forgotten before its row was
// written never reaches the file, updates to one row go in one statement each, and a match's
// counts are written once per commit with its times as they are then. Receives the writes
// of the StateWrites interface; sends batches, applied in one transaction by `apply`.

import type { FilterCounts, StoredTrigger, TimesOf } from './records.js';
import { actionsJson } from './rows.js';
import type { Db, Statement } from './sqlite.js';

/** What is still to be written about one trigger. */
interface TriggerWrite {
  /** The whole trigger, when its row is yet to be written. */
  insert: StoredTrigger | undefined;
  /** Action name → [due, done], for a row already written. */
  readonly updates: Map<string, [number | undefined, boolean]>;
  forget: boolean;
}

type CountRows = [FilterCounts, [string, readonly string[], readonly number[]][]][];

/** Taken out of the queue for one transaction; put back whole if it fails. */
export interface Batch {
  readonly triggers: readonly [number, TriggerWrite][];
  readonly counts: CountRows;
}

export class PendingWrites {
  readonly #triggers = new Map<number, TriggerWrite>();
  /** The matches whose counts changed, per filter: key → values; times are read at commit. */
  readonly #counts = new Map<FilterCounts, Map<string, readonly string[]>>();
  #countsQueued = 0;
  /** Called when a write arrives that someone will wait for, or that may wait a while. */
  readonly #soon: () => void;
  readonly #lazily: () => void;

  constructor(wake: { soon: () => void; lazily: () => void }) {
    this.#soon = wake.soon;
    this.#lazily = wake.lazily;
  }

  get hasTriggers(): boolean {
    return this.#triggers.size > 0;
  }

  get hasCounts(): boolean {
    return this.#countsQueued > 0;
  }

  addTrigger(trigger: StoredTrigger): void {
    this.#entry(trigger.id).insert = {
      ...trigger,
      actions: trigger.actions.map((a) => ({ ...a })),
    };
    this.#soon();
  }

  update(trigger: number, action: string, due: number | undefined, done: boolean): void {
    const entry = this.#entry(trigger);
    const inserted = entry.insert?.actions.find((a) => a.name === action) as
      | { due: number; done: boolean }
      | undefined;
    if (inserted !== undefined) {
      if (due !== undefined) inserted.due = due;
      if (done) inserted.done = true;
    } else if (!entry.forget) {
      const [earlierDue, earlierDone] = entry.updates.get(action) ?? [undefined, false];
      entry.updates.set(action, [due ?? earlierDue, done || earlierDone]);
    }
    this.#lazily();
  }

  forget(trigger: number): void {
    const entry = this.#entry(trigger);
    if (entry.insert !== undefined) this.#triggers.delete(trigger);
    else {
      entry.forget = true;
      entry.updates.clear();
    }
    this.#lazily();
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    const queued = new Map<string, readonly string[]>();
    const counts: FilterCounts = {
      stream,
      filter,
      timesOf,
      changed: (key, values) => {
        if (queued.size === 0) this.#counts.set(counts, queued);
        queued.set(key, values);
        if (this.#countsQueued++ === 0) this.#lazily();
      },
    };
    return counts;
  }

  /** The writes to commit now: every trigger write, and the counts too when `counts`. */
  take(counts: boolean): Batch {
    const triggers = [...this.#triggers.entries()];
    this.#triggers.clear();
    return { triggers, counts: counts ? this.#takeCounts() : [] };
  }

  /** Puts back what a failed transaction held, with what arrived since applied on top. */
  requeue(batch: Batch): void {
    const later = new Map(this.#triggers);
    this.#triggers.clear();
    for (const [id, entry] of batch.triggers) this.#triggers.set(id, entry);
    for (const [id, entry] of later) {
      if (entry.insert !== undefined) this.addTrigger(entry.insert);
      for (const [name, [due, done]] of entry.updates) this.update(id, name, due, done);
      if (entry.forget) this.forget(id);
    }
    for (const [filter, earlier] of batch.counts)
      for (const [key, values] of earlier) filter.changed(key, values);
  }

  #entry(trigger: number): TriggerWrite {
    let entry = this.#triggers.get(trigger);
    if (entry === undefined) {
      entry = { insert: undefined, updates: new Map(), forget: false };
      this.#triggers.set(trigger, entry);
    }
    return entry;
  }

  /** The counts to write, with their times as they are now. */
  #takeCounts(): CountRows {
    const taken: CountRows = [];
    for (const [filter, queued] of this.#counts) {
      taken.push([
        filter,
        [...queued].map(([key, values]) => [key, values, filter.timesOf(key) ?? []]),
      ]);
      queued.clear();
    }
    this.#counts.clear();
    this.#countsQueued = 0;
    return taken;
  }
}

/** The statements a batch is written with, prepared once. */
export function writeStatements(db: Db) {
  return {
    trigger: db.prepare(
      'INSERT OR REPLACE INTO triggers (id, stream, filter, match, time, actions) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    due: db.prepare(
      "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[0]', ?) WHERE id = ?",
    ),
    done: db.prepare(
      "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[1]', 1) WHERE id = ?",
    ),
    forget: db.prepare('DELETE FROM triggers WHERE id = ?'),
    putCount: db.prepare(
      'INSERT OR REPLACE INTO counts (stream, filter, match, times) VALUES (?, ?, ?, ?)',
    ),
    deleteCount: db.prepare('DELETE FROM counts WHERE stream = ? AND filter = ? AND match = ?'),
  } satisfies Record<string, Statement>;
}

/** Writes a batch; the caller runs it inside one transaction. */
export function applyBatch(s: ReturnType<typeof writeStatements>, batch: Batch): void {
  for (const [id, w] of batch.triggers) {
    if (w.forget) {
      s.forget.run(id);
      continue;
    }
    const t = w.insert;
    if (t !== undefined) {
      s.trigger.run(
        id,
        t.stream,
        t.filter,
        JSON.stringify(t.values),
        t.time,
        actionsJson(t.actions),
      );
    }
    for (const [name, [due, done]] of w.updates) {
      if (due !== undefined) s.due.run(name, due, id);
      if (done) s.done.run(name, id);
    }
  }
  for (const [{ stream, filter }, queued] of batch.counts) {
    for (const [, values, times] of queued) {
      const match = JSON.stringify(values);
      if (times.length === 0) s.deleteCount.run(stream, filter, match);
      else s.putCount.run(stream, filter, match, JSON.stringify(times));
    }
  }
}
