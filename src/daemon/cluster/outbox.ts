// The outbox: owns the lines this host shared that the engine has not stored yet. A line is
// written to the state before it is published, published in order, and deleted once the
// engine acknowledged it; a failed publish is tried again later, whatever the engine does.
// Receives lines from cluster actions and the engine's outcomes; sends messages to publish.

import { randomBytes } from 'node:crypto';
import { log } from '../../lib/log.js';
import type { ClusterRecords, ClusterWrites, OutboxRow, SelfMark } from '../state/cluster.js';
import type { Engine } from './engine.js';
import { encodeMessage, messageId, newEpoch } from './message.js';

/** Publishes awaiting their acknowledgement at once. */
const WINDOW = 256;
const FIRST_RETRY = 1000;
const MAX_RETRY = 30_000;

interface Entry {
  readonly row: OutboxRow;
  state: 'written' | 'ready' | 'sending' | 'done';
}

export interface OutboxStats {
  /** Lines shared by this host's actions. */
  shared: number;
  /** Lines the engine acknowledged. */
  published: number;
  /** Publishes that failed (and were, or will be, tried again). */
  failed: number;
  /** Lines dropped unpublished: older than the engine keeps messages. */
  expired: number;
}

export class Outbox {
  readonly stats: OutboxStats = { shared: 0, published: 0, failed: 0, expired: 0 };
  readonly #store: ClusterWrites;
  readonly #node: string;
  readonly #maxAge: number;
  /** In number order; entries before `#head` are done. */
  readonly #entries: Entry[] = [];
  #head = 0;
  #sending = 0;
  #self: SelfMark;
  #engine: Engine | undefined;
  #retryAt = 0;
  #retryDelay = FIRST_RETRY;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    records: ClusterRecords,
    deps: { store: ClusterWrites; node: string; maxAge: number },
  ) {
    this.#store = deps.store;
    this.#node = deps.node;
    this.#maxAge = deps.maxAge;
    this.#self = records.self ?? { epoch: newEpoch(randomBytes(8)), sent: 0 };
    for (const row of records.outbox) this.#entries.push({ row, state: 'ready' });
  }

  /** Lines not yet acknowledged by the engine. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** A line to share, from a trigger at `time`: durable in the next commit, published after it. */
  add(line: string, time: number): void {
    const seq = this.#self.sent + 1;
    this.#self = { epoch: this.#self.epoch, sent: seq };
    const entry: Entry = { row: { seq, time, line }, state: 'written' };
    this.#entries.push(entry);
    this.stats.shared++;
    this.#store.addOutbox(entry.row, this.#self);
    this.#whenDurable(entry);
  }

  /** Published only once its row is on disk; a commit that failed is waited out. */
  #whenDurable(entry: Entry): void {
    this.#store.afterCommit((durable) => {
      if (!durable) {
        setTimeout(() => this.#whenDurable(entry), FIRST_RETRY);
        return;
      }
      if (entry.state === 'written') entry.state = 'ready';
      this.#pump();
    });
  }

  /** The engine to publish through, once connected; undefined while it is not. */
  attach(engine: Engine | undefined): void {
    this.#engine = engine;
    if (engine === undefined) return;
    this.#retryAt = 0;
    this.#retryDelay = FIRST_RETRY;
    this.#pump();
  }

  stop(): void {
    this.#engine = undefined;
    clearTimeout(this.#timer);
  }

  #pump(): void {
    const engine = this.#engine;
    if (engine === undefined || Date.now() < this.#retryAt) return;
    const oldest = Date.now() - this.#maxAge;
    for (let i = this.#head; i < this.#entries.length && this.#sending < WINDOW; i++) {
      const entry = this.#entries[i]!;
      if (entry.state === 'written') break;
      if (entry.state !== 'ready') continue;
      if (entry.row.time < oldest) {
        this.stats.expired++;
        this.#done(entry);
        continue;
      }
      this.#send(engine, entry);
    }
  }

  #send(engine: Engine, entry: Entry): void {
    entry.state = 'sending';
    this.#sending++;
    const message = { ...entry.row, epoch: this.#self.epoch };
    // A row restored from an earlier epoch cannot exist: the epoch is made with the first row.
    engine.publish(encodeMessage(message), messageId(this.#node, message)).then(
      () => {
        this.#sending--;
        this.stats.published++;
        this.#retryDelay = FIRST_RETRY;
        this.#done(entry);
        this.#pump();
      },
      (error: unknown) => {
        this.#sending--;
        entry.state = 'ready';
        this.stats.failed++;
        this.#later(error);
      },
    );
  }

  /** After a failure, nothing is sent for a while: the engine is down or overloaded. */
  #later(error: unknown): void {
    if (Date.now() < this.#retryAt) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(delay * 2, MAX_RETRY);
    this.#retryAt = Date.now() + delay;
    log(
      'WARN',
      `cluster: cannot publish: ${(error as Error).message}; ${this.length} line(s) wait in the outbox, next try in ${delay} ms`,
    );
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#pump(), delay);
  }

  #done(entry: Entry): void {
    entry.state = 'done';
    this.#store.deleteOutbox(entry.row.seq);
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.state === 'done')
      this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
