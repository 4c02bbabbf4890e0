// The control socket: owns the listening unix socket and its connections. Receives request
// lines from clients; sends them to the control handler and writes back its responses, in
// order, one line each. The socket file is created with mode 0600, so the kernel refuses
// every other user but root (whoever can write to it can ban and unban); a stale file left
// by a crashed daemon is replaced, a live daemon's socket never is. Whatever a client
// writes, it gets an error reply at worst: nothing it sends can stop the daemon.

import { chmodSync, lstatSync, mkdirSync, type Stats, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ProtocolError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { decodeRequest, encode, MAX_REQUEST, type Request, type Response } from '../protocol.js';

export type Handler = (request: Request) => Promise<Response>;

/** A connection that sends nothing for this long is closed. */
const IDLE = 60_000;

export class ControlSocket {
  readonly path: string;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  #inode = -1;

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
  }

  /** Binds the socket, or rejects with a one-line reason (another daemon, a foreign file...). */
  static async listen(path: string, handler: Handler): Promise<ControlSocket> {
    prepareDirectory(path);
    await clearStale(path);
    const server = createServer({ allowHalfOpen: true });
    const socket = new ControlSocket(path, server);
    server.on('connection', (connection) => socket.#serve(connection, handler));
    try {
      await bind(server, path);
      chmodSync(path, 0o600);
    } catch (error) {
      server.close();
      throw new Error(`cannot listen on ${path}: ${(error as Error).message}`);
    }
    socket.#inode = lstatSync(path).ino;
    return socket;
  }

  /** Stops accepting, closes the connections and removes the socket file if it is still ours. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      if (lstatSync(this.path).ino === this.#inode) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to clean.
    }
  }

  #serve(connection: Socket, handler: Handler): void {
    this.#connections.add(connection);
    connection.on('close', () => this.#connections.delete(connection));
    connection.on('error', () => connection.destroy());
    connection.setTimeout(IDLE, () => connection.destroy());
    connection.setEncoding('utf8');
    let buffer = '';
    let queue = Promise.resolve();
    const onData = (text: string): void => {
      let start = 0;
      let newline = text.indexOf('\n');
      while (newline >= 0) {
        const line = buffer + text.slice(start, newline);
        buffer = '';
        queue = queue.then(() => answer(connection, line, handler));
        start = newline + 1;
        newline = text.indexOf('\n', start);
      }
      buffer += text.slice(start);
      if (buffer.length > MAX_REQUEST) {
        // Replies once and stops reading; the client's end (or the idle timer) closes.
        buffer = '';
        connection.off('data', onData);
        connection.on('data', () => undefined);
        const error = `request longer than ${MAX_REQUEST} bytes without a newline: closing`;
        log('WARN', `control: ${error}`);
        queue = queue.then(() => reply(connection, { v: 1, ok: false, error }));
        void queue.then(() => connection.end());
      }
    };
    connection.on('data', onData);
    connection.on('end', () => {
      if (buffer !== '') {
        const error = 'incomplete request: the connection ended before a newline';
        queue = queue.then(() => reply(connection, { v: 1, ok: false, error }));
      }
      void queue.then(() => connection.end());
    });
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

async function answer(connection: Socket, line: string, handler: Handler): Promise<void> {
  let request: Request;
  try {
    request = decodeRequest(line);
  } catch (error) {
    const message = error instanceof ProtocolError ? error.message : String(error);
    log('WARN', `control: ${message}`);
    reply(connection, { v: 1, ok: false, error: message });
    return;
  }
  try {
    reply(connection, await handler(request));
  } catch (error) {
    log('ERROR', `control: ${request.type} failed: ${(error as Error).stack ?? String(error)}`);
    reply(connection, { v: 1, ok: false, error: `internal error: ${(error as Error).message}` });
  }
}

function reply(connection: Socket, response: Response): void {
  if (connection.destroyed || connection.writableEnded) return;
  try {
    connection.write(encode(response));
  } catch (error) {
    log('ERROR', `control: cannot write a reply: ${(error as Error).message}`);
    connection.destroy();
  }
}

/**
 * Creates the socket's directory (only its owner may enter what we create), and refuses a
 * directory that another user owns, who could replace the socket: /tmp/riposte-UID may
 * have been made by someone else first.
 */
function prepareDirectory(path: string): void {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const info = lstatSync(directory);
  const uid = process.getuid?.();
  if (!info.isDirectory())
    throw new Error(`cannot listen on ${path}: ${directory} is not a directory`);
  if (uid !== undefined && info.uid !== uid && info.uid !== 0) {
    throw new Error(
      `cannot listen on ${path}: its directory ${directory} belongs to another user (uid ${info.uid}), who could replace the socket; choose another with -s`,
    );
  }
}

/** Removes a socket file that no daemon answers on; refuses to touch anything else. */
async function clearStale(path: string): Promise<void> {
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch {
    return;
  }
  if (!info.isSocket())
    throw new Error(`cannot listen on ${path}: a file that is not a socket is there; move it away`);
  const probe = await new Promise<string>((resolve) => {
    const connection = createConnection(path);
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
  unlinkSync(path);
  log(
    'INFO',
    `control: removed the stale socket ${path} left by a daemon that did not stop cleanly`,
  );
}
