// The writes not yet committed, merged as they arrive: a trigger forgotten before its row was
// written never reaches the triggers table (only the history, if it ended), updates to one
// row go in one statement each, and the counts are queued in state/count-entries.ts, the
// changes of a match written once per commit. Receives the writes of the StateWrites
// interface; sends batches, applied in one transaction by `apply`.

import { applyCounts, type CountRows, CountsPending, countStatements } from './count-entries.js';
import type { Ended, FilterCounts, StoredTrigger, TimesOf } from './records.js';
import { actionsJson } from './rows.js';
import type { Db, Statement } from './sqlite.js';

/** What is still to be written about one trigger. */
interface TriggerWrite {
  /** The whole trigger, when its row is yet to be written. */
  insert: StoredTrigger | undefined;
  /** Action name → [due, done], for a row already written. */
  readonly updates: Map<string, [number | undefined, boolean]>;
  forget: boolean;
  /** With `forget`: the row goes to the history, with how it ended. */
  ended: Ended | undefined;
  /** A trigger that ended before its row was written: its history row, written alone. */
  past: { readonly trigger: StoredTrigger; readonly ended: Ended } | undefined;
}

/** Taken out of the queue for one transaction; put back whole if it fails. */
export interface Batch {
  readonly triggers: readonly [number, TriggerWrite][];
  readonly counts: CountRows;
  /** The history before this time goes, and what is beyond this many entries. */
  readonly prune: { readonly oldest: number; readonly most: number } | undefined;
}

export class PendingWrites {
  readonly #triggers = new Map<number, TriggerWrite>();
  readonly #counts: CountsPending;
  #prune: Batch['prune'];
  /** Called when a write arrives that someone will wait for, or that may wait a while. */
  readonly #soon: () => void;
  readonly #lazily: () => void;

  constructor(wake: { soon: () => void; lazily: () => void }) {
    this.#soon = wake.soon;
    this.#lazily = wake.lazily;
    this.#counts = new CountsPending(wake.lazily);
  }

  get hasTriggers(): boolean {
    return this.#triggers.size > 0 || this.#prune !== undefined;
  }

  get hasCounts(): boolean {
    return this.#counts.size > 0;
  }

  /** A new row, or a whole row again: it replaces what was queued for it, an end included. */
  addTrigger(trigger: StoredTrigger): void {
    const entry = this.#entry(trigger.id);
    entry.insert = { ...trigger, actions: trigger.actions.map((a) => ({ ...a })) };
    entry.updates.clear();
    entry.forget = false;
    entry.ended = undefined;
    entry.past = undefined;
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

  forget(trigger: number, ended?: Ended): void {
    const entry = this.#entry(trigger);
    const insert = entry.insert;
    if (insert !== undefined) {
      entry.insert = undefined;
      entry.past = ended === undefined ? undefined : { trigger: insert, ended };
      if (entry.past === undefined) this.#triggers.delete(trigger);
    } else {
      entry.forget = true;
      entry.ended = ended;
      entry.updates.clear();
    }
    this.#lazily();
  }

  prune(oldest: number, most: number): void {
    this.#prune = { oldest, most };
    this.#lazily();
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    return this.#counts.countsOf(stream, filter, timesOf);
  }

  /** The writes to commit now: every trigger write, and the counts too when `counts`. */
  take(counts: boolean): Batch {
    const triggers = [...this.#triggers.entries()];
    this.#triggers.clear();
    const prune = this.#prune;
    this.#prune = undefined;
    return { triggers, counts: counts ? this.#counts.take() : [], prune };
  }

  /** Puts back what a failed transaction held, with what arrived since applied on top. */
  requeue(batch: Batch): void {
    const later = new Map(this.#triggers);
    this.#triggers.clear();
    for (const [id, entry] of batch.triggers) this.#triggers.set(id, entry);
    for (const [id, entry] of later) {
      if (entry.past !== undefined) {
        this.addTrigger(entry.past.trigger);
        this.forget(id, entry.past.ended);
      }
      if (entry.insert !== undefined) this.addTrigger(entry.insert);
      for (const [name, [due, done]] of entry.updates) this.update(id, name, due, done);
      if (entry.forget) this.forget(id, entry.ended);
    }
    this.#counts.requeue(batch.counts);
    this.#prune ??= batch.prune;
  }

  #entry(trigger: number): TriggerWrite {
    let entry = this.#triggers.get(trigger);
    if (entry === undefined) {
      entry = {
        insert: undefined,
        updates: new Map(),
        forget: false,
        ended: undefined,
        past: undefined,
      };
      this.#triggers.set(trigger, entry);
    }
    return entry;
  }
}

/** The statements a batch is written with, prepared once. */
export function writeStatements(db: Db) {
  return {
    counts: countStatements(db),
    trigger: db.prepare(
      'INSERT OR REPLACE INTO triggers (id, stream, filter, match, time, actions, lines) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    /** A trigger row moved to the history, as it is forgotten. */
    toHistory: db.prepare(
      'INSERT INTO history (stream, filter, match, time, ended, how, lines) SELECT stream, filter, match, time, ?, ?, lines FROM triggers WHERE id = ?',
    ),
    past: db.prepare(
      'INSERT INTO history (stream, filter, match, time, ended, how, lines) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    pruneOld: db.prepare('DELETE FROM history WHERE ended < ?'),
    // History ids grow with each row: the oldest entries are those of the lowest ids.
    pruneMost: db.prepare(
      'DELETE FROM history WHERE id <= (SELECT id FROM history ORDER BY id DESC LIMIT 1 OFFSET ?)',
    ),
    due: db.prepare(
      "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[0]', ?) WHERE id = ?",
    ),
    done: db.prepare(
      "UPDATE triggers SET actions = json_set(actions, '$.' || json_quote(?) || '[1]', 1) WHERE id = ?",
    ),
    forget: db.prepare('DELETE FROM triggers WHERE id = ?'),
  } satisfies Record<string, Statement | ReturnType<typeof countStatements>>;
}

/** Writes a batch; the caller runs it inside one transaction. */
export function applyBatch(s: ReturnType<typeof writeStatements>, batch: Batch): void {
  for (const [id, w] of batch.triggers) {
    if (w.past !== undefined) {
      const { trigger: t, ended } = w.past;
      const lines = JSON.stringify(t.lines);
      s.past.run(
        t.stream,
        t.filter,
        JSON.stringify(t.values),
        t.time,
        ended.time,
        ended.how,
        lines,
      );
    }
    if (w.forget) {
      if (w.ended !== undefined) s.toHistory.run(w.ended.time, w.ended.how, id);
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
        JSON.stringify(t.lines),
      );
    }
    for (const [name, [due, done]] of w.updates) {
      if (due !== undefined) s.due.run(name, due, id);
      if (done) s.done.run(name, id);
    }
  }
  applyCounts(s.counts, batch.counts);
  if (batch.prune !== undefined) {
    s.pruneOld.run(batch.prune.oldest);
    s.pruneMost.run(batch.prune.most);
  }
}
