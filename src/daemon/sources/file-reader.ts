// One open file of a file stream: owns its descriptor, its line splitter, the offset after
// its last complete line and the copy of its first bytes. Receives reads of large chunks;
// sends blocks of complete lines, the bytes read, and where it stands, to its owner.

import { type BigIntStats, closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LineSplitter, type LineSink } from '../../lib/lines.js';
import { systemReason } from '../../lib/regular-file.js';
import { type FileEntry, type Fingerprint, fingerprintOf, HEAD_BYTES } from './file-position.js';

/** O_NONBLOCK: a fifo that slipped past the check opens at once instead of waiting for a writer. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** What a reader hands over; `caughtUp` says whether the lines were written while riposte was away. */
export interface ReaderSink {
  lines(block: string, caughtUp: boolean): void;
  cut(dropped: number): void;
  read(bytes: number): void;
}

export type Opened =
  | { readonly ok: true; readonly fd: number; readonly stats: BigIntStats }
  | { readonly ok: false; readonly reason: string };

/** Opens a regular file for reading; anything else (fifo, device, directory) is never opened. */
export function openRegular(path: string, stats: BigIntStats): Opened {
  if (!stats.isFile()) return { ok: false, reason: `${kind(stats)}, not a regular file` };
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    return { ok: false, reason: systemReason(error as NodeJS.ErrnoException) };
  }
  const now = fstatSync(fd, { bigint: true });
  if (now.isFile()) return { ok: true, fd, stats: now };
  closeSync(fd);
  return { ok: false, reason: `${kind(now)}, not a regular file` };
}

function kind(stats: BigIntStats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a fifo';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** The file's first min(size, 1024) bytes. */
export function readHead(fd: number): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  let length = 0;
  for (;;) {
    const n = readSync(fd, head, length, HEAD_BYTES - length, length);
    length += n;
    if (n === 0 || length === HEAD_BYTES) return head.subarray(0, length);
  }
}

export function headMatches(fd: number, fingerprint: Fingerprint): boolean {
  const head = readHead(fd);
  if (head.length < fingerprint.length) return false;
  return fingerprintOf(head.subarray(0, fingerprint.length)).sha256 === fingerprint.sha256;
}

export class FileReader implements LineSink {
  readonly fd: number;
  readonly dev: string;
  readonly ino: string;
  /** Whether the file is still the one at the stream's path (false once renamed or deleted). */
  atPath = true;
  /** Whether the lines read now were written while riposte was not reading. */
  caughtUp: boolean;
  readonly #sink: ReaderSink;
  #splitter: LineSplitter;
  /** After the last complete line handed over: where a new reader resumes. */
  #offset: number;
  /** Where the next read starts. */
  #next: number;
  /** After the last newline read so far: the offset once the splitter hands its block over. */
  #lineEnd: number;
  #size: number;
  #head: Buffer;
  #fingerprint: Fingerprint | undefined;
  /** A sink may stop the source while a block is handed over: the reads end there. */
  #closed = false;

  constructor(
    opened: { fd: number; stats: BigIntStats },
    o: { from: number; caughtUp: boolean },
    sink: ReaderSink,
  ) {
    this.fd = opened.fd;
    this.dev = opened.stats.dev.toString();
    this.ino = opened.stats.ino.toString();
    this.caughtUp = o.caughtUp;
    this.#sink = sink;
    this.#splitter = new LineSplitter(this);
    this.#offset = this.#next = this.#lineEnd = o.from;
    this.#size = Number(opened.stats.size);
    this.#head = readHead(this.fd);
  }

  get size(): number {
    return this.#size;
  }

  /** Where this file resumes, named by the path it was followed at. */
  entry(path: string): FileEntry {
    this.#fingerprint ??= fingerprintOf(this.#head);
    return { path, dev: this.dev, ino: this.ino, offset: this.#offset, head: this.#fingerprint };
  }

  /**
   * Whether the file was truncated (or rewritten with other first bytes) since it was last
   * read; then it is read again from its start. The head is read again only when the size changed.
   */
  checkTruncated(): boolean {
    const size = Number(fstatSync(this.fd).size);
    if (size === this.#size) return false;
    this.#size = size;
    if (size < this.#next || !this.#sameHead()) {
      this.#restart();
      return true;
    }
    return false;
  }

  #sameHead(): boolean {
    const known = this.#head;
    if (known.length === HEAD_BYTES && this.#size < HEAD_BYTES) return false;
    const now = readHead(this.fd);
    if (now.length < known.length || !now.subarray(0, known.length).equals(known)) return false;
    if (now.length > known.length) {
      this.#head = now;
      this.#fingerprint = undefined;
    }
    return true;
  }

  #restart(): void {
    this.#splitter = new LineSplitter(this);
    this.#offset = this.#next = this.#lineEnd = 0;
    this.#head = readHead(this.fd);
    this.#fingerprint = undefined;
  }

  /** Reads up to `budget` bytes in chunks of `buffer`'s size; fewer once at the end of the file. */
  read(buffer: Buffer, budget: number): number {
    let total = 0;
    while (total < budget) {
      const want = Math.min(buffer.length, budget - total);
      const n = readSync(this.fd, buffer, 0, want, this.#next);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      const newline = chunk.lastIndexOf(10);
      if (newline >= 0) this.#lineEnd = this.#next + newline + 1;
      this.#next += n;
      total += n;
      this.#sink.read(n);
      this.#splitter.push(chunk);
      if (n < want || this.#closed) break;
    }
    this.#size = Math.max(this.#size, this.#next);
    return total;
  }

  /** The file will not grow for us any more: its last line, even without a newline, is handed over. */
  finish(): void {
    this.#lineEnd = this.#next;
    this.#splitter.end();
    this.#offset = this.#next;
    this.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }

  block(text: string): void {
    this.#offset = this.#lineEnd;
    this.#sink.lines(text, this.caughtUp);
  }

  lines(batch: string[]): void {
    this.block(batch.join('\n'));
  }

  overflow(dropped: number): void {
    this.#sink.cut(dropped);
  }
}
