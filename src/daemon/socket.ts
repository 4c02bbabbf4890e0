// The control socket: owns the listening unix socket and its connections. Receives clients;
// hands each to a Connection (daemon/connection.ts), which answers its requests. The socket
// file is created with mode 0600, so the kernel refuses every other user but root (whoever
// can write to it can ban and unban), in a directory no other user can write to, checked
// up to `/`; a stale file left by a crashed daemon is replaced, a live daemon's socket
// never is. MAX_CONNECTIONS clients are served at once, others wait; nothing a client sends
// stops the daemon.

import { chmodSync, lstatSync, mkdirSync, type Stats, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { log } from '../lib/log.js';
import { LogLimiter } from '../lib/rate-limit.js';
import { checkAbove, checkPath } from '../lib/safe-path.js';
import { encode } from '../protocol.js';
import { Connection, type Handler, IDLE } from './connection.js';

export type { Handler };

/** Clients served at once. */
export const MAX_CONNECTIONS = 64;
/** Clients past MAX_CONNECTIONS wait, unread, for a place; past this many more, they are refused. */
export const MAX_WAITING = 256;

const refused = new LogLimiter('control: refused connections');
/** How long a refused client is given to read why. */
const REFUSED_LINGER = 1000;

export class ControlSocket {
  /** As given, for messages. */
  readonly path: string;
  /** With its directories resolved: what was checked is what is bound and removed. */
  readonly #real: string;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  readonly #waiting: Socket[] = [];
  #inode = -1;

  private constructor(path: string, real: string, server: Server) {
    this.path = path;
    this.#real = real;
    this.#server = server;
  }

  /** Binds the socket, or rejects with a one-line reason (another daemon, a foreign file...). */
  static async listen(path: string, handler: Handler): Promise<ControlSocket> {
    const real = prepareDirectory(path);
    await clearStale(path, real);
    const server = createServer({ allowHalfOpen: true });
    const socket = new ControlSocket(path, real, server);
    server.on('connection', (connection) => socket.#accept(connection, handler));
    try {
      await bind(server, real);
      chmodSync(real, 0o600);
    } catch (error) {
      server.close();
      throw new Error(`cannot listen on ${path}: ${(error as Error).message}`);
    }
    socket.#inode = lstatSync(real).ino;
    return socket;
  }

  /** Stops accepting, closes the connections and removes the socket file if it is still ours. */
  async close(): Promise<void> {
    for (const connection of this.#waiting.splice(0)) connection.destroy();
    for (const connection of this.#connections) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      if (lstatSync(this.#real).ino === this.#inode) unlinkSync(this.#real);
    } catch {
      // Already gone: nothing to clean.
    }
  }

  #accept(connection: Socket, handler: Handler): void {
    connection.on('error', () => connection.destroy());
    if (this.#connections.size < MAX_CONNECTIONS) {
      this.#serve(connection, handler);
      return;
    }
    if (this.#waiting.length >= MAX_WAITING) {
      const error = `${MAX_CONNECTIONS + MAX_WAITING} clients are connected already: try again`;
      refused.log('WARN', `control: ${error}; refused one`);
      // What the client sends is read and dropped: closing with it unread could reset the
      // connection before the client reads why.
      connection.on('data', () => undefined);
      connection.end(encode({ v: 1, ok: false, error }));
      setTimeout(() => connection.destroy(), REFUSED_LINGER).unref();
      return;
    }
    // Not read until served: a waiting client costs a file descriptor, no memory.
    connection.pause();
    connection.setTimeout(IDLE, () => connection.destroy());
    this.#waiting.push(connection);
    connection.once('close', () => {
      const at = this.#waiting.indexOf(connection);
      if (at >= 0) this.#waiting.splice(at, 1);
    });
  }

  #serve(connection: Socket, handler: Handler): void {
    this.#connections.add(connection);
    connection.once('close', () => {
      this.#connections.delete(connection);
      const next = this.#waiting.shift();
      if (next !== undefined) this.#serve(next, handler);
    });
    new Connection(connection, handler);
  }
}

/** Listens with a umask that leaves the socket to its owner from the moment it exists. */
function bind(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const umask = process.umask(0o177);
    try {
      // The socket file is created synchronously, within listen().
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

/**
 * Creates the socket's directory (mode 0700: only its owner may enter what we create) and
 * refuses a path that another user than root could replace the socket at: a directory of
 * theirs (/tmp/riposte-UID may have been made by someone else first), one they may write
 * to (/tmp itself), or such a directory above it that is not sticky. Returns the path with
 * its directories resolved.
 */
function prepareDirectory(path: string): string {
  const uid = process.getuid?.();
  const trusted = uid === undefined ? [] : [uid, 0];
  const fail = (reason: string) =>
    new Error(
      `cannot listen on ${path}: ${reason}, who could replace the socket; choose another with -s`,
    );
  const above = uid === undefined ? undefined : checkAbove(dirname(path), trusted);
  if (above !== undefined) throw fail(above);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (uid === undefined) return path;
  const checked = checkPath(path, trusted);
  if (!checked.ok) throw fail(checked.reason);
  return checked.path;
}

/** Removes a socket file that no daemon answers on; refuses to touch anything else. */
async function clearStale(path: string, real: string): Promise<void> {
  let info: Stats;
  try {
    info = lstatSync(real);
  } catch {
    return;
  }
  if (!info.isSocket())
    throw new Error(`cannot listen on ${path}: a file that is not a socket is there; move it away`);
  const probe = await new Promise<string>((resolve) => {
    const connection = createConnection(real);
    connection.once('connect', () => {
      connection.destroy();
      resolve('live');
    });
    connection.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  if (probe === 'live')
    throw new Error(
      `cannot listen on ${path}: another riposte daemon is running there (stop it, or give this one another socket with -s)`,
    );
  if (probe !== 'ECONNREFUSED')
    throw new Error(`cannot listen on ${path}: the socket there cannot be probed (${probe})`);
  unlinkSync(real);
  log(
    'INFO',
    `control: removed the stale socket ${path} left by a daemon that did not stop cleanly`,
  );
}
