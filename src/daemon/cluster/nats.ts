// The engine on NATS JetStream: the only user of the NATS client. Owns the connection, the
// stream (created when missing), this host's durable consumer and its delivery loop.
// Receives the `cluster` configuration and the runtime's events; sends deliveries, states
// and publish outcomes. Never blocks the daemon: connecting is retried in the background.

import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
  type StreamInfo,
} from '@nats-io/jetstream';
import {
  AuthorizationError,
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  NoRespondersError,
  nkeyAuthenticator,
} from '@nats-io/transport-node';
import type { Cluster } from '../../concepts/cluster.js';
import { formatDuration } from '../../lib/duration.js';
import { log } from '../../lib/log.js';
import type { Engine, EngineEvents } from './engine.js';
import { secret, secretBytes } from './secrets.js';

const FIRST_RETRY = 250;
const MAX_RETRY = 30_000;
const PUBLISH_TIMEOUT = 5000;
/** Unacknowledged messages the server sends ahead: the catch-up's pipeline. */
const MAX_ACK_PENDING = 10_000;
const ACK_WAIT = 30_000;
/** The engine's own de-duplication of publishes by id; the receivers' covers the rest. */
const DUPLICATE_WINDOW = 10 * 60_000;
const NS = 1_000_000;

/** Opens the engine; throws a ConfigError when a secret file cannot be read. */
export function openNats(cluster: Cluster, events: EngineEvents, o: { receive: boolean }): Engine {
  return new NatsEngine(cluster, events, { receive: o.receive, auth: authOptions(cluster) });
}

class NatsEngine implements Engine {
  readonly #cluster: Cluster;
  readonly #events: EngineEvents;
  readonly #receive: boolean;
  readonly #options: ConnectionOptions;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #messages: ConsumerMessages | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  readonly #running: Promise<void>;

  constructor(
    cluster: Cluster,
    events: EngineEvents,
    o: { receive: boolean; auth: ConnectionOptions },
  ) {
    this.#cluster = cluster;
    this.#events = events;
    this.#receive = o.receive;
    this.#options = {
      servers: [...cluster.nats.servers],
      name: `riposte ${cluster.node}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5000,
      ...o.auth,
    };
    this.#running = this.#run();
  }

  async publish(data: Uint8Array, id: string): Promise<void> {
    const js = this.#js;
    if (js === undefined) throw new Error('not connected');
    const subject = `${this.#cluster.nats.subject}.${this.#cluster.node}`;
    try {
      await js.publish(subject, data, { msgID: id, timeout: PUBLISH_TIMEOUT });
    } catch (error) {
      // No stream answers the subject: it was deleted, or the server lost its storage.
      if (error instanceof NoRespondersError) await this.#nc?.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    const nc = this.#nc;
    this.#nc = undefined;
    this.#js = undefined;
    if (nc !== undefined) await nc.close().catch(() => undefined);
    await this.#running;
    this.#events.state('closed');
  }

  /** Connects, sets up, follows; whenever the connection is lost for good, again. */
  async #run(): Promise<void> {
    let retry = FIRST_RETRY;
    this.#events.state('connecting');
    while (!this.#closed) {
      try {
        const nc = await connect(this.#options);
        if (this.#closed) {
          await nc.close();
          return;
        }
        this.#nc = nc;
        this.#watch(nc);
        await this.#setUp(nc);
        this.#events.state('connected');
        retry = FIRST_RETRY;
        await nc.closed();
      } catch (error) {
        if (this.#closed) return;
        const refused = error instanceof AuthorizationError;
        this.#events.state(refused ? 'refused' : 'disconnected', reasonOf(error));
        await this.#nc?.close().catch(() => undefined);
      }
      this.#nc = undefined;
      this.#js = undefined;
      if (this.#closed) return;
      await this.#sleep(retry);
      retry = Math.min(retry * 2, MAX_RETRY);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, ms);
      this.#wake = () => {
        clearTimeout(timer);
        done();
      };
    });
  }

  /** The connection's own reconnections, as states. */
  #watch(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#events.state('disconnected', `lost ${s.server}`);
        else if (s.type === 'reconnect') this.#events.state('connected');
        else if (s.type === 'error' && s.error instanceof AuthorizationError)
          this.#events.state('refused', reasonOf(s.error));
      }
    })();
  }

  async #setUp(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: PUBLISH_TIMEOUT });
    const info = await this.#stream(jsm);
    this.#js = jetstream(nc, { timeout: PUBLISH_TIMEOUT });
    if (this.#receive) await this.#consume(jsm, info);
  }

  /** The stream of shared lines: created when missing, checked when found. */
  async #stream(jsm: JetStreamManager): Promise<StreamInfo> {
    const n = this.#cluster.nats;
    const subjects = [`${n.subject}.*`];
    try {
      const info = await jsm.streams.info(n.stream);
      if (!info.config.subjects?.includes(subjects[0]!)) {
        throw new Error(
          `stream ${n.stream} exists with subjects ${JSON.stringify(info.config.subjects)}, not ${subjects[0]}: set cluster.nats.stream or cluster.nats.subject`,
        );
      }
      warnShortAge(info, n.maxAge ?? 0);
      return info;
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    }
    return jsm.streams.add({
      name: n.stream,
      subjects,
      max_age: (n.maxAge ?? 0) * NS,
      duplicate_window: Math.min(DUPLICATE_WINDOW, n.maxAge ?? DUPLICATE_WINDOW) * NS,
      storage: StorageType.File,
      num_replicas: n.replicas,
      discard: DiscardPolicy.Old,
    });
  }

  /**
   * This host's durable consumer, from the position its state holds: a consumer the server
   * kept further on (this host's state was made anew) is made again from that position.
   */
  async #consume(jsm: JetStreamManager, info: StreamInfo): Promise<void> {
    const { stream, subject } = this.#cluster.nats;
    const durable = this.#cluster.node;
    const after = this.#events.resume(info.created);
    const found = await jsm.consumers.info(stream, durable).catch((error: unknown) => {
      if (isApiError(error, JetStreamApiCodes.ConsumerNotFound)) return undefined;
      throw error;
    });
    if (found === undefined || found.ack_floor.stream_seq > after) {
      if (found !== undefined) await jsm.consumers.delete(stream, durable);
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${subject}.*`,
        max_ack_pending: MAX_ACK_PENDING,
        ack_wait: ACK_WAIT * NS,
        ...(after > 0
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 }
          : { deliver_policy: DeliverPolicy.All }),
      });
    }
    const consumer = await jetstream(this.#nc!).consumers.get(stream, durable);
    this.#messages?.stop();
    const messages = await consumer.consume({ max_messages: 1000 });
    this.#messages = messages;
    void this.#follow(messages);
    void this.#watchConsumer(messages);
  }

  /**
   * A stream or consumer that vanished (deleted, or a server that lost its storage) is made
   * again: the connection is closed, and the next one sets everything up anew.
   */
  async #watchConsumer(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (
        s.type !== 'consumer_not_found' &&
        s.type !== 'stream_not_found' &&
        s.type !== 'consumer_deleted'
      )
        continue;
      this.#events.state('disconnected', `the stream or this host's consumer is gone (${s.type})`);
      messages.stop();
      await this.#nc?.close().catch(() => undefined);
      return;
    }
  }

  async #follow(messages: ConsumerMessages): Promise<void> {
    const prefix = this.#cluster.nats.subject.length + 1;
    for await (const m of messages) {
      this.#events.deliver({
        node: m.subject.slice(prefix),
        data: m.data,
        seq: m.seq,
        stamp: m.info.timestampNanos / NS,
        pending: m.info.pending,
        ack: () => m.ack(),
      });
    }
  }
}

/** A stream made by another host or an admin may keep lines for less time than this host needs. */
function warnShortAge(info: StreamInfo, wanted: number): void {
  const kept = info.config.max_age / NS;
  if (kept === 0 || kept >= wanted) return;
  log(
    'WARN',
    `cluster: stream ${info.config.name} keeps lines ${formatDuration(kept)}, less than the ${formatDuration(wanted)} of cluster.nats.max_age: a host down longer misses bans still in effect`,
  );
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

function reasonOf(error: unknown): string {
  if (error instanceof AuthorizationError)
    return 'authorization violation: the server refused the credentials of cluster.nats';
  return (error as Error).message;
}

/** The credentials of the configuration, secret files read now. */
function authOptions(cluster: Cluster): ConnectionOptions {
  const n = cluster.nats;
  const k = n.credentials;
  const tls =
    n.tls === undefined
      ? {}
      : {
          tls: {
            ...(n.tls.caFile === undefined ? {} : { caFile: n.tls.caFile }),
            ...(n.tls.certFile === undefined ? {} : { certFile: n.tls.certFile }),
            ...(n.tls.keyFile === undefined ? {} : { keyFile: n.tls.keyFile }),
          },
        };
  switch (k.type) {
    case 'none':
      return tls;
    case 'password':
      return {
        ...tls,
        user: k.user,
        pass: k.password ?? secret(k.passwordFile!, 'password_file'),
      };
    case 'token':
      return { ...tls, token: k.token ?? secret(k.tokenFile!, 'token_file') };
    case 'creds':
      return { ...tls, authenticator: credsAuthenticator(secretBytes(k.file, 'creds_file')) };
    case 'nkey':
      return {
        ...tls,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(secret(k.file, 'nkey_file'))),
      };
  }
}
