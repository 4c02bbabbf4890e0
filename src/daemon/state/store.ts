// The persistent state, in one SQLite file (`riposte.db`): owns the database and decides
// when queued writes are committed — at the end of the event-loop turn when someone waits
// for them (a new trigger's actions, a client's answer), else within a second (counts,
// actions done, moved due times, the history). Receives the StateWrites of the scheduler,
// the filters and the control answers; tells the waiting callers once their writes are
// durable, or that they could not be made so; answers the reads of the control answers
// (the history). On a full file system it spends its reserve to go on.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StateError } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import {
  applyClusterBatch,
  type ClusterBatch,
  ClusterPending,
  type ClusterRecords,
  type ClusterWrites,
  clusterStatements,
  readClusterRows,
} from './cluster.js';
import {
  applyPositions,
  PositionsPending,
  positionStatements,
  readPositions,
} from './positions.js';
import { countDrops } from './count-entries.js';
import {
  checkDirectory,
  checkStateFile,
  checkWritable,
  createStateFile,
  creatingPath,
  removeLeftovers,
} from './file.js';
import type {
  Ended,
  FilterCounts,
  PastTrigger,
  StateReads,
  StateWrites,
  StoredCount,
  StoredFilter,
  StoredTrigger,
  TimesOf,
} from './records.js';
import { Reserve } from './reserve.js';
import { readHistory, readRows } from './rows.js';
import { createSchema, openSchema } from './schema.js';
import { type Db, isFullError, openDatabase, openError } from './sqlite.js';
import { applyBatch, PendingWrites, writeStatements } from './writes.js';

export const STATE_FILE = 'riposte.db';
/** Shortest time between two commits that someone waits for, in ms. */
const GROUP_DELAY = 5;
/** Longest a write nobody waits for stays in memory. */
const LAZY_DELAY = 1000;

const NO_POSITIONS: ReadonlyMap<string, string | null> = new Map();

export class Store implements StateWrites, StateReads {
  readonly path: string;
  readonly #db: Db;
  readonly #pending = new PendingWrites({
    soon: () => this.#commitSoon(),
    lazily: () => this.#lazily(),
  });
  readonly #statements;
  readonly #cluster = new ClusterPending();
  readonly #clusterStatements;
  readonly #positions = new PositionsPending();
  readonly #positionStatements;
  /** A waiting caller reports counts: the next commit writes them too. */
  #countsWanted = false;
  #waiting: ((durable: boolean) => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The commit that someone waits for, at the end of this turn or soon after. */
  #soon: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | undefined;
  #lastCommit = 0;
  #failing = false;
  readonly #reserve: Reserve;
  /** Whether triggers that ended go to the history (a `history` window of 0 keeps none). */
  readonly #keepHistory: boolean;

  private constructor(path: string, db: Db, reserve: Reserve, keepHistory: boolean) {
    this.path = path;
    this.#db = db;
    this.#statements = writeStatements(db);
    this.#reserve = reserve;
    this.#keepHistory = keepHistory;
    this.#clusterStatements = clusterStatements(db);
    this.#positionStatements = positionStatements(db);
  }

  /**
   * Opens (or creates) the state file of a directory; refuses foreign, corrupt, empty and
   * truncated files. Writes nothing to a file of the current schema: a full disk does not
   * stop a restart, it is reported.
   */
  static open(directory: string, options: { reserve?: number; history?: boolean } = {}): Store {
    const path = join(directory, STATE_FILE);
    checkWritable(directory, path);
    checkDirectory(directory);
    removeLeftovers(creatingPath(path));
    if (existsSync(path)) checkStateFile(path);
    else createStateFile(path, (db) => createSchema(db));
    const db = openDatabase(path);
    try {
      openSchema(db, path);
    } catch (error) {
      db.close();
      throw openError(path, error);
    }
    const reserve = new Reserve(directory, options.reserve);
    return new Store(path, db, reserve, options.history !== false);
  }

  /** Everything stored, for the restart of §2.5; a row that cannot be read is a StateError. */
  load(): { triggers: StoredTrigger[]; counts: StoredCount[] } {
    try {
      return readRows(this.#db);
    } catch (error) {
      throw new StateError(
        `cannot read state file ${this.path}: ${(error as Error).message}; riposte will not overwrite it: move it away`,
        { cause: error },
      );
    }
  }

  /** A read for a control answer; a row that cannot be read is a StateError naming the file. */
  #read<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw new StateError(`cannot read state file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The cluster's rows, for its start; a row that cannot be read is a StateError. */
  loadCluster(): ClusterRecords {
    try {
      return readClusterRows(this.#db);
    } catch (error) {
      throw new StateError(
        `cannot read state file ${this.path}: ${(error as Error).message}; riposte will not overwrite it: move it away`,
        { cause: error },
      );
    }
  }

  /** Where each file and journal stream resumes, by stream name (see state/positions.ts). */
  loadPositions(): Map<string, unknown> {
    return this.#read(() => readPositions(this.#db, this.path));
  }

  /**
   * Where the file and journal streams report their positions: committed with the counts
   * (within a second), never on their own, so that no line is counted twice or never.
   */
  get positions(): { set(stream: string, position: unknown): void } {
    return {
      set: (stream, position) => {
        this.#positions.set(stream, position);
        this.#lazily();
      },
    };
  }

  /** Where the cluster runtime writes: its outbox soon, its positions with the counts. */
  get cluster(): ClusterWrites {
    const pending = this.#cluster;
    return {
      addOutbox: (row, self) => {
        pending.addOutbox(row, self);
        this.#commitSoon();
      },
      deleteOutbox: (seq) => {
        pending.deleteOutbox(seq);
        this.#lazily();
      },
      setPosition: (position) => {
        pending.setPosition(position);
        this.#commitSoon();
      },
      setPeer: (node, peer) => {
        pending.setPeer(node, peer);
        this.#commitSoon();
      },
      afterCommit: (callback) => this.afterCommit(callback),
    };
  }

  addTrigger(trigger: StoredTrigger): void {
    this.#pending.addTrigger(trigger);
  }

  setDue(trigger: number, action: string, due: number): void {
    this.#pending.update(trigger, action, due, false);
  }

  setDone(trigger: number, action: string): void {
    this.#pending.update(trigger, action, undefined, true);
  }

  forgetTrigger(trigger: number, ended?: Ended): void {
    this.#pending.forget(trigger, this.#keepHistory ? ended : undefined);
  }

  pruneHistory(oldest: number, most: number): void {
    this.#pending.prune(oldest, most);
  }

  history(
    since: number,
    select: (stream: string, filter: string, values: readonly string[]) => boolean,
  ): PastTrigger[] {
    return this.#read(() => readHistory(this.#db, since, select));
  }

  countsOf(stream: string, filter: string, timesOf: TimesOf): FilterCounts {
    return this.#pending.countsOf(stream, filter, timesOf);
  }

  afterCommit(callback: (durable: boolean) => void, options: { counts?: boolean } = {}): void {
    this.#waiting.push(callback);
    if (options.counts === true) this.#countsWanted = true;
    this.#commitSoon();
  }

  /**
   * Commits the queued writes now, in one transaction, then calls the waiting callbacks.
   * Counts wait for the timer (`all`): a burst of matches then writes each match once a
   * second, not once per event-loop turn.
   */
  commit(all = true): void {
    if (this.#soon !== undefined) {
      if ('immediate' in this.#soon) clearImmediate(this.#soon.immediate);
      else clearTimeout(this.#soon.timeout);
      this.#soon = undefined;
    }
    this.#lastCommit = performance.now();
    if (all) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#countsWanted = false;
    }
    const cluster = this.#cluster;
    const writes =
      this.#pending.hasTriggers ||
      cluster.urgent ||
      (all && (this.#pending.hasCounts || cluster.lazy || this.#positions.size > 0));
    // A position written without the counts its lines made would lose them at a crash.
    const durable = writes ? this.#write(all || cluster.withCounts) : true;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const callback of waiting) callback(durable);
  }

  /**
   * Gives the pages of forgotten rows back to the file system and empties the write-ahead
   * log: the filters and the scheduler forget expired entries as they go, so the file stays
   * as large as the live state.
   */
  compact(): void {
    this.commit();
    // Without its reserve, the file keeps the room it has: what it gave back would be taken.
    if (!this.#reserve.present) return;
    // exec, not pragma(): the pragma frees one page each time it is stepped, and pragma() steps once.
    this.#db.exec('PRAGMA incremental_vacuum');
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Drops the state of filters that are no longer in the configuration; returns those filters. */
  dropFilters(isLive: (stream: string, filter: string) => boolean): StoredFilter[] {
    try {
      return this.#dropFilters(isLive);
    } catch (error) {
      if (isFullError(error)) {
        log(
          'ERROR',
          `state: cannot drop the state of removed filters in ${this.path}: the disk is full; it is ignored, and dropped at a later start`,
        );
        return this.#goneFilters(isLive);
      }
      throw new StateError(
        `cannot drop the state of removed filters in ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * A clean stop: everything committed, the pages of forgotten rows given back (compact).
   * A commit that failed here has been logged; its retry would find the file closed, so
   * none is left behind to run.
   */
  close(): void {
    this.compact();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }

  #goneFilters(isLive: (stream: string, filter: string) => boolean): StoredFilter[] {
    return (
      this.#db
        .prepare(
          'SELECT DISTINCT stream, filter FROM triggers UNION SELECT DISTINCT stream, filter FROM count_matches',
        )
        .all() as StoredFilter[]
    ).filter((f) => !isLive(f.stream, f.filter));
  }

  #dropFilters(isLive: (stream: string, filter: string) => boolean): StoredFilter[] {
    const gone = this.#goneFilters(isLive);
    if (gone.length === 0) return gone;
    const triggers = this.#db.prepare('DELETE FROM triggers WHERE stream = ? AND filter = ?');
    const counts = countDrops(this.#db);
    this.#db.transaction(() => {
      for (const f of gone) {
        triggers.run(f.stream, f.filter);
        counts(f.stream, f.filter);
      }
    });
    return gone;
  }

  /**
   * Group commit: at the end of this event-loop turn, but no sooner than GROUP_DELAY after
   * the last commit, so that a burst of triggers pays for a few syncs of the disk, not one
   * per 64 KiB of log read. Their actions wait that much more, at most.
   */
  #commitSoon(): void {
    if (this.#soon !== undefined) return;
    const wait = this.#lastCommit + GROUP_DELAY - performance.now();
    const commit = (): void => this.commit(this.#countsWanted);
    this.#soon =
      wait <= 0 ? { immediate: setImmediate(commit) } : { timeout: setTimeout(commit, wait) };
  }

  #lazily(): void {
    this.#timer ??= setTimeout(() => this.commit(), LAZY_DELAY);
  }

  /** Commits a batch; on a full file system, spends the reserve and tries once more. */
  #write(all: boolean): boolean {
    const batch = this.#pending.take(all);
    const cluster = this.#cluster.take();
    // A position goes with the counts of the lines before it: only in a commit of every count.
    const positions = all ? this.#positions.take() : NO_POSITIONS;
    try {
      this.#apply(batch, cluster, positions);
    } catch (error) {
      if (!isFullError(error) || !this.#makeRoom())
        return this.#failed({ batch, cluster, positions }, error);
      try {
        this.#apply(batch, cluster, positions);
      } catch (again) {
        return this.#failed({ batch, cluster, positions }, again);
      }
    }
    if (this.#failing) log('INFO', `state: writing to ${this.path} works again`);
    this.#failing = false;
    if (!this.#reserve.present) this.#withoutReserve();
    return true;
  }

  #apply(
    batch: ReturnType<PendingWrites['take']>,
    cluster: ClusterBatch,
    positions: ReadonlyMap<string, string | null>,
  ): void {
    this.#db.transaction(() => {
      applyBatch(this.#statements, batch);
      applyClusterBatch(this.#clusterStatements, cluster);
      applyPositions(this.#positionStatements, positions);
    });
  }

  /** Room for one more try: the reserve given back, or the write-ahead log's room reused. */
  #makeRoom(): boolean {
    const released = this.#reserve.release();
    return this.#checkpoint() || released;
  }

  /**
   * While the reserve is spent, each commit is moved into the file at once, so that the next
   * one writes the log from its start again instead of growing it; and the reserve is made
   * again once the file system has room.
   */
  #withoutReserve(): void {
    this.#checkpoint();
    this.#reserve.remake();
  }

  #checkpoint(): boolean {
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
      return true;
    } catch {
      return false;
    }
  }

  #failed(
    taken: {
      batch: ReturnType<PendingWrites['take']>;
      cluster: ClusterBatch;
      positions: ReadonlyMap<string, string | null>;
    },
    error: unknown,
  ): false {
    this.#pending.requeue(taken.batch);
    this.#cluster.requeue(taken.cluster);
    this.#positions.requeue(taken.positions);
    if (!this.#failing) {
      log(
        'ERROR',
        `state: cannot write ${this.path}: ${(error as Error).message}; new triggers with pending actions are refused until it can, and the other writes are kept to retry`,
      );
    }
    this.#failing = true;
    this.#lazily();
    return false;
  }
}
