// One client of the control socket: owns its connection, the request lines it has sent and
// not yet had answered, and the answer being written to it. Receives bytes; sends each
// request line to the handler and writes back the responses in order, one at a time. What
// a client can make the daemon hold is bounded: the connection is not read while
// MAX_PENDING requests wait, the next request is answered only once the client has taken
// the last answer, and a client that takes nothing of an answer for STALL is disconnected,
// with a log line.

import type { Socket } from 'node:net';
import { ProtocolError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { LogLimiter } from '../lib/rate-limit.js';
import { decodeRequest, encode, MAX_REQUEST, type Request, type Response } from '../protocol.js';

export type Handler = (request: Request) => Promise<Response>;

/** Requests read and not yet answered past which the connection is not read (the kernel's buffer, then the client, wait). */
export const MAX_PENDING = 16;
/** A connection that sends nothing and reads nothing for this long is closed. */
export const IDLE = 60_000;
/** A client that reads nothing of its answer for this long is disconnected. */
export const STALL = 10_000;
/** Answers are written whole; the next waits until less than this is left of the last. */
const LOW_WATER = 64 * 1024;

/** Shared by every connection: a client can repeat a mistake as fast as it can write. */
const malformed = new LogLimiter('control: malformed requests');
const dropped = new LogLimiter('control: clients disconnected');

export class Connection {
  readonly #socket: Socket;
  readonly #handler: Handler;
  /** Read and not yet answered: whole lines, then the start of the next. */
  #input = '';
  #lines = 0;
  /** The error reply due after the last whole line (the input was not a request), then the end. */
  #last: string | undefined;
  #answering = false;
  #ended = false;

  constructor(socket: Socket, handler: Handler) {
    this.#socket = socket;
    this.#handler = handler;
    socket.setTimeout(IDLE, () => socket.destroy());
    socket.setEncoding('utf8');
    socket.on('data', this.#onData);
    socket.resume();
    socket.on('end', () => {
      this.#ended = true;
      if (this.#lines === 0 && this.#input !== '')
        this.#refuse('incomplete request: the connection ended before a newline');
      void this.#answer();
    });
  }

  readonly #onData = (text: string): void => {
    this.#input += text;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.#lines++;
    if (this.#input.length - (this.#input.lastIndexOf('\n') + 1) > MAX_REQUEST) {
      // Replies once and stops reading; the client's end (or the idle timer) closes.
      this.#input = this.#input.slice(0, this.#input.lastIndexOf('\n') + 1);
      this.#socket.off('data', this.#onData);
      this.#socket.on('data', () => undefined);
      this.#refuse(`request longer than ${MAX_REQUEST} bytes without a newline: closing`);
      this.#ended = true;
    } else if (this.#lines >= MAX_PENDING) {
      // What is held stays within one chunk past the bound, unsplit.
      this.#socket.pause();
    }
    void this.#answer();
  };

  /** The error reply to what cannot be a request, after the lines before it. */
  #refuse(error: string): void {
    malformed.log('WARN', `control: ${error}`);
    this.#last = error;
  }

  /** Answers the lines in order, one at a time, each once the last answer has been read. */
  async #answer(): Promise<void> {
    if (this.#answering) return;
    this.#answering = true;
    while (this.#lines > 0) {
      const newline = this.#input.indexOf('\n');
      const line = this.#input.slice(0, newline);
      this.#input = this.#input.slice(newline + 1);
      if (--this.#lines < MAX_PENDING && !this.#ended) this.#socket.resume();
      if (!(await this.#write(await respond(line, this.#handler)))) return;
    }
    if (this.#last !== undefined) {
      const error = this.#last;
      this.#last = undefined;
      if (!(await this.#write({ v: 1, ok: false, error }))) return;
    }
    this.#answering = false;
    if (this.#ended) this.#socket.end();
  }

  /** False once the connection is gone. */
  async #write(response: Response): Promise<boolean> {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return false;
    try {
      socket.write(encode(response));
    } catch (error) {
      log('ERROR', `control: cannot write a reply: ${(error as Error).message}`);
      socket.destroy();
      return false;
    }
    if (socket.writableLength <= LOW_WATER) return true;
    return new Promise((done) => {
      const stalled = setTimeout(() => {
        this.#drop(`read nothing of its answer for ${STALL / 1000} s`);
        done(false);
      }, STALL);
      const settle = (alive: boolean) => () => {
        clearTimeout(stalled);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        done(alive);
      };
      const onDrain = settle(true);
      const onClose = settle(false);
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
  }

  #drop(why: string): void {
    dropped.log('WARN', `control: a client ${why}: disconnected`);
    this.#lines = 0;
    this.#input = '';
    this.#socket.destroy();
  }
}

async function respond(line: string, handler: Handler): Promise<Response> {
  let request: Request;
  try {
    request = decodeRequest(line);
  } catch (error) {
    const message = error instanceof ProtocolError ? error.message : String(error);
    malformed.log('WARN', `control: ${message}`);
    return { v: 1, ok: false, error: message };
  }
  try {
    return await handler(request);
  } catch (error) {
    log('ERROR', `control: ${request.type} failed: ${(error as Error).stack ?? String(error)}`);
    return { v: 1, ok: false, error: `internal error: ${(error as Error).message}` };
  }
}
