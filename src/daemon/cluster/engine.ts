// What the cluster runtime needs from the engine that carries shared lines between hosts:
// publish with de-duplication, a durable log each host reads from its own position, and the
// state of the connection. Owns nothing; `nats.ts` implements it, and another engine (Redis
// Streams) would implement the same without touching the rest of riposte.

export type EngineState = 'connecting' | 'connected' | 'disconnected' | 'refused' | 'closed';

/** A message read from the engine's log. */
export interface Delivery {
  /** The host that published it: its subject, which the engine's permissions can bind. */
  readonly node: string;
  readonly data: Uint8Array;
  /** Its position in the log. */
  readonly seq: number;
  /** When the engine stored it, in ms since the epoch. */
  readonly stamp: number;
  /** Messages after this one not yet delivered to this host. */
  readonly pending: number;
  /** Tells the engine that this host will not need it again. */
  ack(): void;
}

export interface EngineEvents {
  state(state: EngineState, reason?: string): void;
  /** The position to read after in the log named `incarnation` (0: from its start). */
  resume(incarnation: string): number;
  deliver(delivery: Delivery): void;
}

export interface Engine {
  /** Resolves once the engine has stored the message (or had it already: same `id`). */
  publish(data: Uint8Array, id: string): Promise<void>;
  close(): Promise<void>;
}
