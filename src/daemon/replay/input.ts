// The input of a replay: log files, or stdin, read one after the other in 64 KiB chunks and
// cut into blocks of lines as a stream's output is (UTF-8, "\r\n", the 64 KiB cap). Owns
// the open files and the progress line; receives the file names; sends each block with
// where it was read, and per input its count of lines and of characters cut.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../../lib/errors.js';
import { LineSplitter } from '../../lib/lines.js';

export interface InputStats {
  /** The file name as given, or "stdin". */
  readonly name: string;
  lines: number;
  /** Characters dropped from lines longer than 64 KiB. */
  cut: number;
}

/** A block of lines (joined by "\n") from `source`, its first line numbered `first`; returns its lines. */
export type EachBlock = (text: string, source: string, first: number) => number;

/** An input opened before any is read: a missing file is an error before any output. */
interface Opened {
  readonly name: string;
  readonly fd: number | undefined;
  readonly size: number;
}

const CHUNK = 65_536;
const PROGRESS_EVERY = 1000;

export async function readInputs(files: readonly string[], each: EachBlock): Promise<InputStats[]> {
  const opened = (files.length === 0 ? ['-'] : files).map(open);
  const progress = new Progress(opened.reduce((sum, o) => sum + o.size, 0));
  const stats: InputStats[] = [];
  for (const input of opened) stats.push(await readOne(input, each, progress));
  progress.end();
  return stats;
}

function open(name: string): Opened {
  if (name === '-') return { name: 'stdin', fd: undefined, size: 0 };
  try {
    const fd = openSync(name, 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    return { name, fd, size: stat.isFile() ? stat.size : 0 };
  } catch (error) {
    throw new UsageError(`cannot read ${name}: ${reason(error)}`);
  }
}

function reason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return (error as Error).message;
  }
}

async function readOne(input: Opened, each: EachBlock, progress: Progress): Promise<InputStats> {
  const stats: InputStats = { name: input.name, lines: 0, cut: 0 };
  const splitter = new LineSplitter({
    lines: () => undefined,
    block: (text) => {
      stats.lines += each(text, input.name, stats.lines + 1);
    },
    overflow: (dropped) => {
      stats.cut += dropped;
    },
  });
  if (input.fd === undefined) {
    for await (const chunk of process.stdin) {
      splitter.push(chunk as Buffer);
      progress.read(input.name, stats.lines, (chunk as Buffer).length);
    }
  } else {
    // A file is read synchronously into one buffer: no chunk to allocate, no turn to wait for.
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (let n = readSync(input.fd, buffer); n > 0; n = readSync(input.fd, buffer)) {
      splitter.push(buffer.subarray(0, n));
      progress.read(input.name, stats.lines, n);
    }
    closeSync(input.fd);
  }
  splitter.end();
  return stats;
}

/** A line on stderr, rewritten every second, when stderr is a terminal and reading takes long. */
class Progress {
  readonly #total: number;
  readonly #shown = process.stderr.isTTY === true;
  readonly #started = Date.now();
  #next = this.#started + PROGRESS_EVERY;
  #bytes = 0;
  #written = false;

  constructor(total: number) {
    this.#total = total;
  }

  read(name: string, lines: number, bytes: number): void {
    this.#bytes += bytes;
    if (!this.#shown) return;
    const now = Date.now();
    if (now < this.#next) return;
    this.#next = now + PROGRESS_EVERY;
    const share =
      this.#total > 0 ? ` (${Math.min(100, (100 * this.#bytes) / this.#total).toFixed(0)} %)` : '';
    process.stderr.write(`\r\x1b[K${name}: ${lines} lines${share}`);
    this.#written = true;
  }

  end(): void {
    if (this.#written) process.stderr.write('\r\x1b[K');
  }
}
