// The inbox: owns this host's position in the engine's log and the last message applied from
// each peer. A message is applied once: its line goes to the cluster stream at the time it
// carries, and the position moves in the same commit as the counts and triggers it made;
// the engine hears the acknowledgement only after that commit. Receives deliveries; sends
// lines to the cluster stream and writes to the state.

import { log } from '../../lib/log.js';
import type { ClusterRecords, ClusterWrites, PeerMark, PositionMark } from '../state/cluster.js';
import type { Delivery } from './engine.js';
import { decodeMessage } from './message.js';
import { admit } from './peers.js';

/** At most one WARN about refused messages per this many ms: a flood must not flood the log. */
const WARN_EVERY = 10_000;

export interface InboxStats {
  /** Messages read from the engine, this host's own included. */
  received: number;
  /** Lines given to the cluster stream. */
  applied: number;
  /** Messages applied already (published twice, or delivered again). */
  duplicates: number;
  /** Messages refused: malformed, or a line no filter may see. */
  refused: number;
  /** Messages in the log not yet delivered to this host, at the last delivery. */
  pending: number;
  /** How long the last message waited between the engine and this host, in ms. */
  lag: number;
}

export type Deliver = (line: string, time: number) => void;

export class Inbox {
  readonly stats: InboxStats = {
    received: 0,
    applied: 0,
    duplicates: 0,
    refused: 0,
    pending: 0,
    lag: 0,
  };
  readonly #store: ClusterWrites;
  readonly #node: string;
  readonly #deliver: Deliver;
  readonly #peers: Map<string, PeerMark>;
  #position: PositionMark;
  #acks: Delivery[] = [];
  #refusedSince = 0;
  #warnedAt = Number.NEGATIVE_INFINITY;

  constructor(
    records: ClusterRecords,
    deps: { store: ClusterWrites; node: string; deliver: Deliver },
  ) {
    this.#store = deps.store;
    this.#node = deps.node;
    this.#deliver = deps.deliver;
    this.#peers = new Map(records.peers);
    this.#position = records.position ?? { incarnation: '', seq: 0 };
  }

  /** Where to read from in the log `incarnation`: a log made anew is read from its start. */
  resume(incarnation: string): number {
    if (this.#position.incarnation !== incarnation) {
      if (this.#position.incarnation !== '')
        log('WARN', `cluster: the engine's log was made anew (${incarnation}): reading it all`);
      this.#position = { incarnation, seq: 0 };
      this.#store.setPosition(this.#position);
    }
    return this.#position.seq;
  }

  receive(d: Delivery): void {
    this.stats.received++;
    this.stats.pending = d.pending;
    this.stats.lag = Math.max(0, Date.now() - d.stamp);
    if (d.seq <= this.#position.seq) {
      this.stats.duplicates++;
      this.#ack(d);
      return;
    }
    this.#position = { incarnation: this.#position.incarnation, seq: d.seq };
    this.#store.setPosition(this.#position);
    if (d.node !== this.#node) this.#apply(d);
    this.#ack(d);
  }

  #apply(d: Delivery): void {
    const message = decodeMessage(d.data);
    if ('refused' in message) {
      this.#refuse(d, message.refused);
      return;
    }
    const mark = admit(this.#peers.get(d.node), message.epoch, message.seq);
    if (mark === undefined) {
      this.stats.duplicates++;
      return;
    }
    this.#peers.set(d.node, mark);
    this.#store.setPeer(d.node, mark);
    this.stats.applied++;
    // A peer's clock ahead of this host's must not put a ban in the future.
    this.#deliver(message.line, Math.min(message.time, Date.now()));
  }

  #refuse(d: Delivery, reason: string): void {
    this.stats.refused++;
    this.#refusedSince++;
    const now = Date.now();
    if (now - this.#warnedAt < WARN_EVERY) return;
    log(
      'WARN',
      `cluster: refused ${this.#refusedSince} message(s), the last from ${JSON.stringify(d.node)} at position ${d.seq}: ${reason}`,
    );
    this.#warnedAt = now;
    this.#refusedSince = 0;
  }

  /**
   * Acknowledged once what the message made is durable: a crash before makes it come again.
   * A commit that failed acknowledges nothing: the engine delivers the messages again later,
   * and they are acknowledged then, as duplicates, once their writes are on disk.
   */
  #ack(d: Delivery): void {
    this.#acks.push(d);
    if (this.#acks.length > 1) return;
    this.#store.afterCommit((durable) => {
      const acks = this.#acks;
      this.#acks = [];
      if (durable) for (const a of acks) a.ack();
    });
  }
}
