// The HTTP endpoint Prometheus scrapes: owns the listening socket (TCP, or a unix socket
// file) of the `metrics` key and its connections. Receives `GET /metrics`; sends the text the
// renderer gives, built at each scrape from the counters (nothing is computed between
// scrapes). Anything else gets 404 or 405.

import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { MetricsConfig } from '../concepts/metrics.js';
import { checkPath } from '../lib/safe-path.js';
import { CONTENT_TYPE } from './metrics.js';

/** Scrapers at once: a loop of them cannot take the daemon's memory. */
const MAX_CONNECTIONS = 16;
const REQUEST_TIMEOUT = 10_000;

export class MetricsServer {
  readonly config: MetricsConfig;
  /** Where it listens, for the log: `http://127.0.0.1:9100/metrics` or the socket path. */
  readonly address: string;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();

  private constructor(config: MetricsConfig, server: Server) {
    this.config = config;
    this.#server = server;
    const bound = server.address();
    this.address =
      config.listen.kind === 'unix' || bound === null || typeof bound === 'string'
        ? `${config.text} (unix socket, GET /metrics)`
        : `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`;
  }

  /** Listens where `config` says, or rejects with a one-line reason. */
  static async listen(config: MetricsConfig, render: () => string): Promise<MetricsServer> {
    const server = createServer({ requestTimeout: REQUEST_TIMEOUT }, (request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('riposte serves /metrics\n');
      } else if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else {
        const body = render();
        response.writeHead(200, {
          'content-type': CONTENT_TYPE,
          'content-length': Buffer.byteLength(body),
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      }
    });
    server.maxConnections = MAX_CONNECTIONS;
    try {
      if (config.listen.kind === 'unix') {
        refuseUnsafe(config.listen.path);
        removeStaleSocket(config.listen.path);
      }
      await bind(server, config);
    } catch (error) {
      server.close();
      throw new Error(`metrics: cannot listen on ${config.text}: ${(error as Error).message}`);
    }
    const metrics = new MetricsServer(config, server);
    server.on('connection', (socket: Socket) => metrics.#track(socket));
    return metrics;
  }

  /**
   * The server a reload wants: the current one when `config` is the same, a new one listening
   * when it changed (the caller closes the old one), none when metrics are no longer asked for.
   */
  static async follow(
    current: MetricsServer | undefined,
    config: MetricsConfig | null,
    render: () => string,
  ): Promise<MetricsServer | undefined> {
    if (config === null) return undefined;
    if (current !== undefined && JSON.stringify(current.config) === JSON.stringify(config))
      return current;
    // The same address: the old server must let it go first.
    if (current !== undefined && current.config.text === config.text) await current.close();
    return MetricsServer.listen(config, render);
  }

  /** Stops listening, closes the connections and removes a unix socket file. */
  async close(): Promise<void> {
    for (const socket of this.#connections) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.config.listen.kind === 'unix') removeStaleSocket(this.config.listen.path);
  }

  #track(socket: Socket): void {
    this.#connections.add(socket);
    socket.on('close', () => this.#connections.delete(socket));
  }
}

function bind(server: Server, config: MetricsConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    const l = config.listen;
    if (l.kind === 'unix') server.listen(l.path, done);
    else server.listen(l.port, l.host, done);
  });
}

/** A socket file left at the path (by this daemon, or one that was killed) is replaced. */
/** As for the control socket: another user able to swap the socket would answer the scrapes. */
function refuseUnsafe(path: string): void {
  const safety = checkPath(path, [0, process.getuid?.() ?? 0]);
  if (!safety.ok) throw new Error(`${safety.reason}, who could replace the socket`);
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}
