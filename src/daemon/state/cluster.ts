// What the state holds for ban sharing: the outbox (lines shared and not yet stored by the
// engine), this host's message numbering, its position in the engine's log and the last
// message applied from each peer. Receives the writes of the cluster runtime; sends them to
// the Store's next commit, in the same transaction as the triggers and counts they go with.

import type { Db, Statement } from './sqlite.js';

export const CLUSTER_TABLES = `
  CREATE TABLE cluster_outbox (
    seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, line TEXT NOT NULL);
  CREATE TABLE cluster_marks (
    name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

export interface OutboxRow {
  readonly seq: number;
  readonly time: number;
  readonly line: string;
}

/** This host's messages are numbered `seq` within `epoch`, a random name given with the state. */
export interface SelfMark {
  readonly epoch: string;
  /** The last number given. */
  readonly sent: number;
}

/** How far this host has read the engine's log (`incarnation` tells a re-created log). */
export interface PositionMark {
  readonly incarnation: string;
  readonly seq: number;
}

/** The last message applied from a peer, and the numbers below it not seen yet. */
export interface PeerMark {
  readonly epoch: string;
  readonly seq: number;
  readonly gaps: readonly number[];
}

export interface ClusterRecords {
  readonly self: SelfMark | undefined;
  readonly position: PositionMark | undefined;
  readonly peers: ReadonlyMap<string, PeerMark>;
  readonly outbox: readonly OutboxRow[];
}

/** The writes of the cluster runtime; each joins the next commit. */
export interface ClusterWrites {
  addOutbox(row: OutboxRow, self: SelfMark): void;
  /** Lazily: a row published again after a crash is a duplicate the receivers drop. */
  deleteOutbox(seq: number): void;
  /** The position and the peers go with the counts of the lines they fed: same commit. */
  setPosition(position: PositionMark): void;
  setPeer(node: string, peer: PeerMark): void;
  /** Calls `callback` once everything queued so far is durable, or failed (`durable` false). */
  afterCommit(callback: (durable: boolean) => void): void;
}

export interface ClusterBatch {
  readonly outbox: readonly OutboxRow[];
  readonly deleted: readonly number[];
  readonly marks: readonly [string, string][];
}

/** The cluster writes not yet committed. */
export class ClusterPending {
  #outbox = new Map<number, OutboxRow>();
  #deleted = new Set<number>();
  #marks = new Map<string, string>();
  /** Whether the next commit must hold the counts too (the position moved). */
  #withCounts = false;

  get urgent(): boolean {
    return this.#outbox.size > 0 || this.#marks.size > 0;
  }

  get lazy(): boolean {
    return this.#deleted.size > 0;
  }

  get withCounts(): boolean {
    return this.#withCounts;
  }

  addOutbox(row: OutboxRow, self: SelfMark): void {
    this.#outbox.set(row.seq, row);
    this.#marks.set('self', JSON.stringify(self));
  }

  deleteOutbox(seq: number): void {
    if (!this.#outbox.delete(seq)) this.#deleted.add(seq);
  }

  setPosition(position: PositionMark): void {
    this.#marks.set('position', JSON.stringify(position));
    this.#withCounts = true;
  }

  setPeer(node: string, peer: PeerMark): void {
    this.#marks.set(`peer ${node}`, JSON.stringify(peer));
    this.#withCounts = true;
  }

  take(): ClusterBatch {
    const batch = {
      outbox: [...this.#outbox.values()],
      deleted: [...this.#deleted],
      marks: [...this.#marks],
    };
    this.#outbox.clear();
    this.#deleted.clear();
    this.#marks.clear();
    this.#withCounts = false;
    return batch;
  }

  /** Puts back a batch whose transaction failed, under what arrived since. */
  requeue(batch: ClusterBatch): void {
    for (const row of batch.outbox) if (!this.#deleted.has(row.seq)) this.#outbox.set(row.seq, row);
    for (const seq of batch.deleted) this.#deleted.add(seq);
    for (const [name, value] of batch.marks)
      if (!this.#marks.has(name)) this.#marks.set(name, value);
    if (batch.marks.length > 0) this.#withCounts = true;
  }
}

export function clusterStatements(db: Db) {
  return {
    putOutbox: db.prepare(
      'INSERT OR REPLACE INTO cluster_outbox (seq, time, line) VALUES (?, ?, ?)',
    ),
    deleteOutbox: db.prepare('DELETE FROM cluster_outbox WHERE seq = ?'),
    putMark: db.prepare('INSERT OR REPLACE INTO cluster_marks (name, value) VALUES (?, ?)'),
  } satisfies Record<string, Statement>;
}

/** Writes a batch; the caller runs it inside the transaction of the other writes. */
export function applyClusterBatch(
  s: ReturnType<typeof clusterStatements>,
  batch: ClusterBatch,
): void {
  for (const row of batch.outbox) s.putOutbox.run(row.seq, row.time, row.line);
  for (const seq of batch.deleted) s.deleteOutbox.run(seq);
  for (const [name, value] of batch.marks) s.putMark.run(name, value);
}

/** Reads the cluster's rows back, each checked: the file may have been damaged or edited. */
export function readClusterRows(db: Db): ClusterRecords {
  const outbox = (
    db.prepare('SELECT seq, time, line FROM cluster_outbox ORDER BY seq').all() as OutboxRow[]
  ).map((r) => {
    if (!Number.isSafeInteger(r.time) || typeof r.line !== 'string')
      throw new Error(`cluster_outbox row ${r.seq} holds ${JSON.stringify(r)}`);
    return r;
  });
  const marks = db.prepare('SELECT name, value FROM cluster_marks').all() as {
    name: string;
    value: string;
  }[];
  let self: SelfMark | undefined;
  let position: PositionMark | undefined;
  const peers = new Map<string, PeerMark>();
  for (const { name, value } of marks) {
    const v = parseMark(name, value);
    if (name === 'self') self = checked(name, value, isSelf(v) ? v : undefined);
    else if (name === 'position') position = checked(name, value, isPosition(v) ? v : undefined);
    else if (name.startsWith('peer '))
      peers.set(name.slice(5), checked(name, value, isPeer(v) ? v : undefined));
  }
  return { self, position, peers, outbox };
}

function parseMark(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`cluster_marks "${name}" holds ${JSON.stringify(value)}, not JSON`);
  }
}

function checked<T>(name: string, value: string, mark: T | undefined): T {
  if (mark === undefined) throw new Error(`cluster_marks "${name}" holds ${JSON.stringify(value)}`);
  return mark;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function isSelf(v: unknown): v is SelfMark {
  const r = record(v);
  return typeof r['epoch'] === 'string' && Number.isSafeInteger(r['sent']);
}

function isPosition(v: unknown): v is PositionMark {
  const r = record(v);
  return typeof r['incarnation'] === 'string' && Number.isSafeInteger(r['seq']);
}

function isPeer(v: unknown): v is PeerMark {
  const r = record(v);
  return (
    typeof r['epoch'] === 'string' &&
    Number.isSafeInteger(r['seq']) &&
    Array.isArray(r['gaps']) &&
    r['gaps'].every((g) => Number.isSafeInteger(g))
  );
}
