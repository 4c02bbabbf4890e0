// A real nats-server for the cluster tests: its own loopback port and JetStream directory,
// users with passwords from a config file; killed, restarted on the same port and directory,
// and cleaned up after each test. Also a bare publisher that speaks for a node as any
// process allowed on the subject could, through riposte's own engine module.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Cluster } from '../../src/concepts/cluster.js';
import type { Engine, EngineState } from '../../src/daemon/cluster/engine.js';
import { openNats } from '../../src/daemon/cluster/nats.js';
import { sleep, until } from '../daemon/harness.js';

export const NATS_SERVER = '/usr/sbin/nats-server';

export function haveNats(): boolean {
  return spawnSync(NATS_SERVER, ['--version']).status === 0;
}

export interface User {
  readonly user: string;
  readonly password: string;
  /** nats-server permissions, as its config writes them; none: everything allowed. */
  readonly permissions?: string;
}

export class NatsServer {
  readonly dir: string;
  readonly port: number;
  #child: ReturnType<typeof spawn> | undefined;
  #log = '';

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** A server with these users (default: riposte/secret), ready to accept connections. */
  static async start(t: TestContext, users: readonly User[] = [RIPOSTE]): Promise<NatsServer> {
    if (!haveNats())
      throw new Error(`cannot start ${NATS_SERVER}: not installed (Debian package nats-server)`);
    const dir = mkdtempSync(join(tmpdir(), 'rnats-'));
    const server = new NatsServer(dir, await freePort());
    t.after(() => server.cleanup());
    writeFileSync(join(dir, 'nats.conf'), serverConfig(server.port, join(dir, 'js'), users));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.#log;
  }

  /** Starts it again on the same port and JetStream directory; waits until it listens. */
  async restart(): Promise<void> {
    mkdirSync(join(this.dir, 'js'), { recursive: true });
    const child = spawn(NATS_SERVER, ['-c', join(this.dir, 'nats.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#log += text;
    });
    this.#child = child;
    await until('nats-server to listen', undefined, () =>
      this.#log.includes('Server is ready') ? true : undefined,
    );
  }

  /** SIGKILL: the server is gone at once, as in a crash. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
    this.#log = '';
  }

  /** Its JetStream storage lost, as a server whose disk was replaced (call it while killed). */
  wipe(): void {
    rmSync(join(this.dir, 'js'), { recursive: true, force: true });
  }

  cleanup(): void {
    this.#child?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const RIPOSTE: User = { user: 'riposte', password: 'secret' };

function serverConfig(port: number, store: string, users: readonly User[]): string {
  const entries = users.map(
    (u) =>
      `    { user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.password)}${u.permissions === undefined ? '' : `, permissions: ${u.permissions}`} }`,
  );
  return [
    `listen: 127.0.0.1:${port}`,
    `jetstream { store_dir: ${JSON.stringify(store)} }`,
    'authorization {',
    '  users = [',
    entries.join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on the port now. */
export function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Publishes as `node` would, any bytes under any id: what a peer or an intruder can send. */
export async function publisher(
  server: NatsServer,
  node: string,
  user: User = RIPOSTE,
): Promise<Engine> {
  const cluster: Cluster = {
    node,
    nats: {
      servers: [server.url],
      credentials: { type: 'password', user: user.user, password: user.password },
      tls: undefined,
      subject: 'riposte.bans',
      stream: 'RIPOSTE_BANS',
      maxAge: 86_400_000,
      replicas: 1,
    },
  };
  let state: EngineState = 'connecting';
  const engine = openNats(
    cluster,
    { state: (s) => (state = s), resume: () => 0, deliver: () => undefined },
    { receive: false },
  );
  await until('the publisher to connect', undefined, () =>
    state === 'connected' ? true : undefined,
  );
  return engine;
}

export function messageBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export { sleep };
