// Starts actions through the native helper build/riposte-spawner (native/spawner.c), which
// uses posix_spawn at a flat cost where forking the large Node process does not. Owns the
// helper process and the callbacks of the actions in flight. Receives argv lists and kill
// requests; sends each action's result to its callback, exactly once.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { constants as os } from 'node:os';
import { join } from 'node:path';
import { HOME } from '../lib/home.js';

export interface SpawnResult {
  /** The exit code, when the action exited. */
  readonly status: number | undefined;
  /** The name of the signal that ended it: "SIGTERM". */
  readonly signal: string | undefined;
  /** Why it did not run or was not followed to its end: "program not found", "spawner exited". */
  readonly error: string | undefined;
  /** The last 2048 bytes the action wrote to stderr. */
  readonly stderr: string;
}

export type OnExit = (result: SpawnResult) => void;

const HELPER = join(HOME, 'build', 'riposte-spawner');
const EXITED: SpawnResult = failure('spawner exited');
const CLOSED: SpawnResult = failure('spawner closed');
const SIGNAL_BASE = 1000;
const ERRNO_BASE = 2000;
const HEADER = 13;

export class Spawner {
  readonly #child: ChildProcess;
  readonly #decoder: ResultDecoder;
  readonly #inFlight = new Map<number, OnExit>();
  /** Ids in flight that are notifications: their status is an errno, not a program's. */
  readonly #notifications = new Set<number>();
  #queued: Buffer[] = [];
  #lastId = 0;
  #held = true;
  #closing = false;
  #dead = false;
  readonly #closed: Promise<void>;
  readonly #flush = (): void => this.#write();

  /** Starts the helper found at `path`, or returns undefined if it is absent or not executable. */
  static start(path: string = HELPER): Spawner | undefined {
    if (!isExecutable(path)) return undefined;
    try {
      // fd 3 lends riposte's real stdout to the actions (the helper's fd 1 carries results);
      // a session of its own keeps a terminal's Ctrl-C from killing it under running actions.
      return new Spawner(
        spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit', 1], detached: true }),
      );
    } catch {
      return undefined;
    }
  }

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#decoder = new ResultDecoder((id, status, stderr) => this.#settle(id, status, stderr));
    this.#closed = new Promise((resolve) => {
      const end = (): void => {
        this.#die();
        resolve();
      };
      child.once('close', end);
      child.once('error', end);
    });
    // EPIPE: the helper is exiting; 'close' follows once its last results have been read.
    child.stdin?.on('error', () => {});
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!this.#decoder.push(chunk)) this.#corrupt();
    });
    this.#hold(false);
  }

  /** True once the helper is gone; after an unexpected death, run() fails with "spawner exited". */
  get dead(): boolean {
    return this.#dead;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Starts argv[0] (PATH lookup) and returns the action's id; `onExit` is always called later. */
  run(argv: readonly string[], onExit: OnExit): number {
    const id = this.#nextId();
    if (this.#dead || this.#closing) {
      process.nextTick(onExit, this.#closing ? CLOSED : EXITED);
      return id;
    }
    this.#inFlight.set(id, onExit);
    this.#hold(true);
    this.#send(startFrame(id, argv));
    return id;
  }

  /**
   * Sends `message` as one datagram to the unix socket `address` (a path, or an abstract name
   * after "@"): systemd's notify protocol. `onSent` gets an error when it was not sent.
   */
  notify(address: string, message: string, onSent: (error: string | undefined) => void): void {
    const id = this.#nextId();
    if (this.#dead || this.#closing) {
      process.nextTick(onSent, this.#closing ? 'spawner closed' : 'spawner exited');
      return;
    }
    this.#inFlight.set(id, (result) => onSent(result.error));
    this.#notifications.add(id);
    this.#hold(true);
    this.#send(notifyFrame(id, address, message));
  }

  /** Signals the process group of a running action; does nothing once it has been reported. */
  kill(id: number, signal: NodeJS.Signals): void {
    const number = (os.signals as Readonly<Record<string, number | undefined>>)[signal];
    if (this.#dead || !this.#inFlight.has(id) || number === undefined) return;
    const frame = Buffer.allocUnsafe(9);
    frame[0] = 0x4b;
    frame.writeUInt32LE(id, 1);
    frame.writeUInt32LE(number, 5);
    this.#send(frame);
  }

  /** Lets the running actions finish, then resolves once the helper has exited. */
  close(): Promise<void> {
    if (!this.#closing && !this.#dead) {
      this.#closing = true;
      this.#write();
      this.#hold(true);
      this.#child.stdin?.end();
    }
    return this.#closed;
  }

  #nextId(): number {
    do this.#lastId = (this.#lastId + 1) >>> 0;
    while (this.#inFlight.has(this.#lastId));
    return this.#lastId;
  }

  /** Frames queued in one tick leave in one write. */
  #send(frame: Buffer): void {
    if (this.#queued.push(frame) === 1) process.nextTick(this.#flush);
  }

  #write(): void {
    const queued = this.#queued;
    if (queued.length === 0 || this.#dead) return;
    this.#queued = [];
    this.#child.stdin?.write(queued.length === 1 ? queued[0]! : Buffer.concat(queued));
  }

  #settle(id: number, status: number, stderr: string): void {
    const onExit = this.#inFlight.get(id);
    if (onExit === undefined) return;
    this.#inFlight.delete(id);
    if (this.#inFlight.size === 0 && !this.#closing) this.#hold(false);
    if (this.#notifications.delete(id)) onExit(sendResult(status));
    else onExit(toResult(status, stderr));
  }

  /** An idle helper must not keep riposte's event loop alive. */
  #hold(on: boolean): void {
    if (this.#held === on) return;
    this.#held = on;
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout]) {
      const h = handle as { ref?: () => void; unref?: () => void } | null;
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  #corrupt(): void {
    process.stderr.write('riposte: spawner sent a malformed result; stopping it\n');
    this.#child.kill('SIGKILL');
    this.#die();
  }

  #die(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#queued = [];
    const waiting = [...this.#inFlight.values()];
    this.#inFlight.clear();
    this.#notifications.clear();
    for (const onExit of waiting) onExit(EXITED);
  }
}

/** Cuts the helper's stdout into result frames, whatever the chunk boundaries. */
export class ResultDecoder {
  #rest: Buffer = Buffer.alloc(0);
  readonly #onFrame: (id: number, status: number, stderr: string) => void;

  constructor(onFrame: (id: number, status: number, stderr: string) => void) {
    this.#onFrame = onFrame;
  }

  /** Handles every whole frame received so far; false if the stream is not made of frames. */
  push(chunk: Buffer): boolean {
    const data = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    let pos = 0;
    while (data.length - pos >= HEADER) {
      if (data[pos] !== 0x58) return false;
      const end = pos + HEADER + data.readUInt32LE(pos + 9);
      if (end > data.length) break;
      const stderr = data.toString('utf8', pos + HEADER, end);
      this.#onFrame(data.readUInt32LE(pos + 1), data.readInt32LE(pos + 5), stderr);
      pos = end;
    }
    // A copy, so that a large chunk is not held for a few trailing bytes.
    this.#rest = pos === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(pos));
    return true;
  }
}

/** 'S' u32 id, u32 argc, then each argument as u32 length and its UTF-8 bytes. */
export function startFrame(id: number, argv: readonly string[]): Buffer {
  let size = 9;
  for (const arg of argv) size += 4 + Buffer.byteLength(arg);
  const frame = Buffer.allocUnsafe(size);
  frame[0] = 0x53;
  frame.writeUInt32LE(id, 1);
  frame.writeUInt32LE(argv.length, 5);
  let pos = 9;
  for (const arg of argv) {
    const length = frame.write(arg, pos + 4);
    frame.writeUInt32LE(length, pos);
    pos += 4 + length;
  }
  return frame;
}

/** 'N' u32 id, then the address and the message, each as u32 length and UTF-8 bytes. */
export function notifyFrame(id: number, address: string, message: string): Buffer {
  const a = Buffer.from(address);
  const m = Buffer.from(message);
  const frame = Buffer.allocUnsafe(13 + a.length + m.length);
  frame[0] = 0x4e;
  frame.writeUInt32LE(id, 1);
  frame.writeUInt32LE(a.length, 5);
  a.copy(frame, 9);
  frame.writeUInt32LE(m.length, 9 + a.length);
  m.copy(frame, 13 + a.length);
  return frame;
}

function toResult(status: number, stderr: string): SpawnResult {
  if (status >= ERRNO_BASE) return { ...failure(startError(status - ERRNO_BASE)), stderr };
  if (status >= SIGNAL_BASE) {
    const signal = SIGNAL_NAMES.get(status - SIGNAL_BASE) ?? `signal ${status - SIGNAL_BASE}`;
    return { status: undefined, signal, error: undefined, stderr };
  }
  return { status, signal: undefined, error: undefined, stderr };
}

/** A notification's status: 0, or 2000 + the errno of sendmsg, named. */
function sendResult(status: number): SpawnResult {
  if (status === 0) return { status: 0, signal: undefined, error: undefined, stderr: '' };
  const errno = status - ERRNO_BASE;
  return failure(ERRNO_NAMES.get(errno) ?? `errno ${errno}`);
}

function failure(error: string): SpawnResult {
  return { status: undefined, signal: undefined, error, stderr: '' };
}

const START_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'program not found',
  EACCES: 'permission denied',
  ENOEXEC: 'not an executable format',
  E2BIG: 'argument list too long',
  EINVAL: 'empty argv or NUL byte in an argument',
};

function startError(errno: number): string {
  const name = ERRNO_NAMES.get(errno);
  if (name === undefined) return `cannot start: errno ${errno}`;
  return START_ERRORS[name] ?? `cannot start: ${name}`;
}

/** Number to name, the first name winning where two share a number (SIGABRT, SIGIOT). */
function invert(table: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  for (const [name, number] of Object.entries(table)) {
    if (!names.has(number)) names.set(number, name);
  }
  return names;
}

const SIGNAL_NAMES = invert(os.signals);
const ERRNO_NAMES = invert(os.errno);

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
