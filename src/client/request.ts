// Talks to the running daemon: one request, one response, over the control socket.
// Receives a request and the socket path; sends back the daemon's response, or a
// UsageError whose one-line message says what went wrong and what to do. A socket that a
// user other than us, root and the socket's owner could have put there is not talked to.

import { lstatSync } from 'node:fs';
import { createConnection } from 'node:net';
import { ProtocolError, UsageError } from '../lib/errors.js';
import { checkPath } from '../lib/safe-path.js';
import { decodeResponse, encode, type Request, type Response } from '../protocol.js';

export function request(
  socket: string,
  message: Request,
): Promise<Extract<Response, { ok: true }>> {
  return new Promise((resolve, reject) => {
    // Throwing here rejects.
    const connection = createConnection(trustedPath(socket));
    // A report of 100k matches is megabytes: collect the chunks, look for the end in each new one.
    const chunks: Buffer[] = [];
    connection.on('connect', () => connection.write(encode(message)));
    connection.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!chunk.includes(10)) return;
      connection.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        const response = decodeResponse(text.slice(0, text.indexOf('\n')));
        if (response.ok) resolve(response);
        else reject(new UsageError(response.error));
      } catch (error) {
        reject(error instanceof ProtocolError ? new UsageError(error.message) : error);
      }
    });
    connection.on('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(connectReason(socket, error))),
    );
    connection.on('close', () =>
      reject(new UsageError(`the daemon at ${socket} closed the connection without answering`)),
    );
  });
}

/**
 * The socket's path with its directories resolved, once no one but us, root and the
 * daemon's user (the socket's owner) could have replaced the socket: root's `flush` must not
 * reach a socket another user put in /tmp.
 */
function trustedPath(socket: string): string {
  const uid = process.getuid?.();
  if (uid === undefined) return socket;
  const trusted = [uid, 0];
  try {
    trusted.push(lstatSync(socket).uid);
  } catch {
    // No socket there: connecting says so.
  }
  const checked = checkPath(socket, trusted);
  if (checked.ok) return checked.path;
  throw new UsageError(
    `cannot trust the socket ${socket}: ${checked.reason}, who could have put it there; give the daemon's socket with -s`,
  );
}

function connectReason(socket: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return `cannot reach the daemon at ${socket}: is it running? (give its socket with -s)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${socket}: run as the daemon's user or as root`;
    case 'ENOTSOCK':
    case 'ENOTDIR':
      return `cannot reach the daemon at ${socket}: not a socket (give the daemon's socket with -s)`;
    default:
      return `cannot reach the daemon at ${socket}: ${error.message}`;
  }
}
