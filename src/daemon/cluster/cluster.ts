// Ban sharing at run time: owns the engine's connection state and joins the outbox (lines
// this host shares) and the inbox (lines of the other hosts) to the engine. Receives the
// `cluster` configuration, the state's cluster rows and the lines of cluster actions; sends
// the other hosts' lines to the cluster stream, and its counters to `status`.

import type { Cluster } from '../../concepts/cluster.js';
import { log } from '../../lib/log.js';
import type { ClusterStatus } from '../../protocol.js';
import type { ClusterRecords, ClusterWrites } from '../state/cluster.js';
import type { Engine, EngineState } from './engine.js';
import { type Deliver, Inbox } from './inbox.js';
import { Outbox } from './outbox.js';

export class ClusterRuntime {
  readonly config: Cluster;
  readonly #outbox: Outbox;
  readonly #inbox: Inbox | undefined;
  #engine: Engine | undefined;
  #state: EngineState = 'connecting';
  #reason: string | undefined;
  #since = Date.now();
  #stopped = false;

  /** `deliver` feeds the cluster stream; without one, this host only shares. */
  constructor(
    config: Cluster,
    deps: { records: ClusterRecords; store: ClusterWrites; deliver: Deliver | undefined },
  ) {
    this.config = config;
    const { records, store } = deps;
    const node = config.node;
    this.#outbox = new Outbox(records, { store, node, maxAge: config.nats.maxAge ?? 0 });
    this.#inbox =
      deps.deliver === undefined
        ? undefined
        : new Inbox(records, { store, node, deliver: deps.deliver });
  }

  /** Connects in the background; rejects with a ConfigError when a secret file cannot be read. */
  async start(): Promise<void> {
    // Loaded here, not with the daemon: the NATS client costs about 0.1 s of CPU to load, and
    // only a configuration that shares bans needs it.
    const { openNats } = await import('./nats.js');
    // A shutdown begun while it loaded must find nothing left to close.
    if (this.#stopped) return;
    const inbox = this.#inbox;
    this.#engine = openNats(
      this.config,
      {
        state: (state, reason) => this.#changed(state, reason),
        resume: (incarnation) => inbox?.resume(incarnation) ?? 0,
        deliver: (d) => inbox?.receive(d),
      },
      { receive: inbox !== undefined },
    );
  }

  /** A cluster action's line, from a trigger at `time`. */
  share(line: string, time: number): void {
    this.#outbox.add(line, time);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#outbox.stop();
    await this.#engine?.close();
  }

  get status(): ClusterStatus {
    const inbox = this.#inbox?.stats;
    return {
      node: this.config.node,
      state: this.#state,
      ...(this.#reason === undefined ? {} : { reason: this.#reason }),
      since: this.#since,
      outbox: this.#outbox.length,
      ...this.#outbox.stats,
      received: inbox?.received ?? 0,
      applied: inbox?.applied ?? 0,
      duplicates: inbox?.duplicates ?? 0,
      refused: inbox?.refused ?? 0,
      lag: { messages: inbox?.pending ?? 0, ms: inbox?.lag ?? 0 },
    };
  }

  #changed(state: EngineState, reason: string | undefined): void {
    if (state === this.#state && reason === this.#reason) return;
    const was = this.#state;
    this.#state = state;
    this.#reason = reason;
    this.#since = Date.now();
    this.#outbox.attach(state === 'connected' ? this.#engine : undefined);
    const servers = this.config.nats.servers.join(', ');
    switch (state) {
      case 'connected':
        log('INFO', `cluster: node ${this.config.node} connected to ${servers}`);
        return;
      case 'refused':
        log(
          'ERROR',
          `cluster: cannot connect to ${servers}: ${reason}; local bans go on, shared lines wait in the outbox`,
        );
        return;
      case 'disconnected':
        if (was !== 'disconnected' || reason !== undefined)
          log(
            'WARN',
            `cluster: cannot reach ${servers}: ${reason ?? 'disconnected'}; local bans go on, shared lines wait in the outbox (${this.#outbox.length})`,
          );
        return;
      case 'connecting':
      case 'closed':
        return;
    }
  }
}
