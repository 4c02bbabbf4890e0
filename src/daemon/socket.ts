// The control socket: owns the listening unix socket and its connections. Receives request
// lines from clients; sends them to the control handler and writes back its responses.
// The socket file is created with mode 0600 (whoever can write to it can ban and unban); a
// stale file left by a crashed daemon is replaced, a live daemon's socket never is.

import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ProtocolError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { decodeRequest, encode, MAX_REQUEST, type Request, type Response } from '../protocol.js';

export type Handler = (request: Request) => Promise<Response>;

export class ControlSocket {
  readonly path: string;
  readonly #server: Server;
  readonly #connections = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
  }

  /** Binds the socket, or rejects with a one-line reason (another daemon, a foreign file...). */
  static async listen(path: string, handler: Handler): Promise<ControlSocket> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    await clearStale(path);
    const server = createServer();
    const socket = new ControlSocket(path, server);
    server.on('connection', (connection) => socket.#serve(connection, handler));
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
    } catch (error) {
      throw new Error(`cannot listen on ${path}: ${(error as Error).message}`);
    } finally {
      process.umask(umask);
    }
    return socket;
  }

  /** Stops accepting, closes the connections and removes the socket file. */
  async close(): Promise<void> {
    for (const connection of this.#connections) connection.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try {
      unlinkSync(this.path);
    } catch {
      // Already gone: nothing to clean.
    }
  }

  #serve(connection: Socket, handler: Handler): void {
    this.#connections.add(connection);
    connection.on('close', () => this.#connections.delete(connection));
    connection.on('error', () => connection.destroy());
    connection.setEncoding('utf8');
    let buffer = '';
    let queue = Promise.resolve();
    connection.on('data', (text: string) => {
      buffer += text;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        queue = queue.then(() => answer(connection, line, handler));
        newline = buffer.indexOf('\n');
      }
      if (buffer.length > MAX_REQUEST) {
        buffer = '';
        reply(connection, { v: 1, ok: false, error: `request longer than ${MAX_REQUEST} bytes` });
        connection.end();
      }
    });
  }
}

async function answer(connection: Socket, line: string, handler: Handler): Promise<void> {
  let request: Request;
  try {
    request = decodeRequest(line);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    log('WARN', `control: ${error.message}`);
    reply(connection, { v: 1, ok: false, error: error.message });
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
  if (!connection.destroyed) connection.write(encode(response));
}

/** Removes a socket file that no daemon answers on; refuses to touch anything else. */
async function clearStale(path: string): Promise<void> {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(path);
  } catch {
    return;
  }
  if (!info.isSocket())
    throw new Error(`cannot listen on ${path}: a file that is not a socket is there; move it away`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live)
    throw new Error(
      `cannot listen on ${path}: another riposte daemon is running there (stop it, or give this one another socket with -s)`,
    );
  unlinkSync(path);
  log(
    'INFO',
    `control: removed the stale socket ${path} left by a daemon that did not stop cleanly`,
  );
}
