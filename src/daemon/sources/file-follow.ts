// One path of a file stream, followed as `tail -F` does: owns the files read for it, in
// order (a renamed file read to its end before the new one), and what was last said of it.
// Receives poll ticks and where it stood last time; sends lines, notices and its entry.

import { type BigIntStats, closeSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { systemReason } from '../../lib/regular-file.js';
import type { SourceSink } from './source.js';
import type { FileEntry, PathEntry } from './file-position.js';
import { FileReader, headMatches, openRegular, type ReaderSink } from './file-reader.js';

export interface FollowContext {
  readonly notice: SourceSink['notice'];
  readonly reader: ReaderSink;
  readonly buffer: Buffer;
  /** The files read for a path changed (one opened, one read to its end): the position moved. */
  readonly moved: () => void;
}

type Found =
  | { readonly stats: BigIntStats }
  | { readonly reason: string; readonly missing: boolean };

function statOf(path: string): Found {
  try {
    return { stats: statSync(path, { bigint: true }) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    return { reason: systemReason(error as NodeJS.ErrnoException), missing };
  }
}

export class FileFollower {
  readonly path: string;
  readonly #c: FollowContext;
  /** The files still to read, oldest first; only the last may be the file at the path. */
  #readers: FileReader[] = [];
  /** What was last said about the path, so that a state is reported once, not every poll. */
  #said = '';

  constructor(path: string, context: FollowContext) {
    this.path = path;
    this.#c = context;
  }

  /** A file present at start that riposte never read: its history is not counted (`tail -n0`). */
  startAtEnd(): void {
    const found = statOf(this.path);
    if ('reason' in found) {
      this.#absentAtStart(found);
      return;
    }
    const opened = this.#open(found.stats);
    if (opened !== undefined)
      this.#readers.push(
        new FileReader(
          opened,
          { from: Number(opened.stats.size), caughtUp: false },
          this.#c.reader,
        ),
      );
  }

  /** A file that appears while riposte runs (or that was missing when it stopped): from its start. */
  startAtBeginning(caughtUp: boolean): void {
    const found = statOf(this.path);
    if ('reason' in found) {
      this.#absentAtStart(found);
      return;
    }
    this.#openNew(found.stats, caughtUp);
  }

  /** Resumes after the lines handed over last time, wherever the file went meanwhile. */
  resume(entry: PathEntry): void {
    if (!('dev' in entry)) {
      this.startAtBeginning(true);
      return;
    }
    const found = statOf(this.path);
    const stats = 'stats' in found ? found.stats : undefined;
    if (stats !== undefined && this.#resumeSame(entry, stats)) return;
    const old = this.#findOld(entry);
    if (old !== undefined) {
      old.atPath = false;
      this.#readers.push(old);
    }
    this.#tellResume(entry, old, stats);
    if (stats === undefined) {
      this.#absentAtStart(found as { reason: string; missing: boolean });
      return;
    }
    if (old === undefined || old.ino !== stats.ino.toString() || old.dev !== stats.dev.toString())
      this.#openNew(stats, true);
  }

  #resumeSame(entry: FileEntry, stats: BigIntStats): boolean {
    if (stats.dev.toString() !== entry.dev || stats.ino.toString() !== entry.ino) return false;
    if (Number(stats.size) < entry.offset) return false;
    const opened = openRegular(this.path, stats);
    if (!opened.ok) return false;
    if (!headMatches(opened.fd, entry.head)) {
      closeSync(opened.fd);
      return false;
    }
    this.#readers.push(
      new FileReader(opened, { from: entry.offset, caughtUp: true }, this.#c.reader),
    );
    return true;
  }

  /** The file read last time, renamed (same inode) or copied (same first bytes) in the same directory. */
  #findOld(entry: FileEntry): FileReader | undefined {
    const dir = dirname(this.path);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return undefined;
    }
    const candidates = names.map((name) => join(dir, name)).filter((p) => p !== this.path);
    let copy: FileReader | undefined;
    for (const path of candidates) {
      const found = statOf(path);
      if (!('stats' in found) || !found.stats.isFile() || Number(found.stats.size) < entry.offset)
        continue;
      const same =
        found.stats.dev.toString() === entry.dev && found.stats.ino.toString() === entry.ino;
      if (!same && copy !== undefined) continue;
      const opened = openRegular(path, found.stats);
      if (!opened.ok) continue;
      if (!headMatches(opened.fd, entry.head)) {
        closeSync(opened.fd);
        continue;
      }
      const reader = new FileReader(opened, { from: entry.offset, caughtUp: true }, this.#c.reader);
      if (same) {
        copy?.close();
        return reader;
      }
      copy = reader;
    }
    return copy;
  }

  #tellResume(entry: FileEntry, old: FileReader | undefined, stats: BigIntStats | undefined): void {
    const file = `file ${this.path}`;
    if (old !== undefined) {
      const then =
        stats === undefined ? 'and no file is there now' : 'then the new file from its start';
      const where = this.#nameOf(old);
      this.#c.notice(
        'INFO',
        `${file} was rotated while riposte was stopped: read the end of ${where} (${old.size - entry.offset} bytes), ${then}`,
      );
    } else if (stats !== undefined)
      this.#c.notice(
        'INFO',
        `${file} was truncated or replaced while riposte was stopped: read from its start`,
      );
  }

  #nameOf(reader: FileReader): string {
    const dir = dirname(this.path);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return 'the old file';
    }
    for (const name of names) {
      const found = statOf(join(dir, name));
      if (
        'stats' in found &&
        found.stats.ino.toString() === reader.ino &&
        found.stats.dev.toString() === reader.dev
      )
        return join(dir, name);
    }
    return 'the old file';
  }

  #absentAtStart(found: { reason: string; missing: boolean }): void {
    if (found.missing)
      this.#say(
        'WARN',
        `file ${this.path} does not exist: it is read from its start once it appears`,
      );
    else this.#say('ERROR', `file ${this.path}: cannot read: ${found.reason}`);
  }

  #open(stats: BigIntStats): { fd: number; stats: BigIntStats } | undefined {
    const opened = openRegular(this.path, stats);
    if (opened.ok) {
      this.#said = '';
      return opened;
    }
    this.#say('ERROR', `file ${this.path}: cannot read: ${opened.reason}`);
    return undefined;
  }

  #openNew(stats: BigIntStats, caughtUp: boolean): boolean {
    const opened = this.#open(stats);
    if (opened === undefined) return false;
    this.#readers.push(new FileReader(opened, { from: 0, caughtUp }, this.#c.reader));
    this.#c.moved();
    return true;
  }

  #say(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    if (message === this.#said) return;
    this.#said = message;
    this.#c.notice(level, message);
  }

  /**
   * One poll: looks at the path (a new file there, or none), then reads the files in order up
   * to `budget` bytes. Returns the bytes left of the budget (0: more may be waiting).
   */
  tick(budget: number): number {
    this.#look();
    let left = budget;
    while (this.#readers.length > 0) {
      const reader = this.#readers[0]!;
      if (reader.checkTruncated()) {
        this.#c.notice('INFO', `file ${this.path} was truncated: read from its start`);
        this.#c.moved();
      }
      const bytes = reader.read(this.#c.buffer, left);
      if (reader.closed) return 0;
      left -= bytes;
      if (left === 0) return 0;
      // At its end: what is written from now on is read live.
      reader.caughtUp = false;
      if (reader.atPath) break;
      reader.finish();
      this.#readers.shift();
      this.#c.moved();
    }
    return left;
  }

  #look(): void {
    const found = statOf(this.path);
    const current = this.#readers.at(-1);
    const followed = current?.atPath === true ? current : undefined;
    if ('reason' in found) {
      if (followed === undefined) return;
      followed.atPath = false;
      if (found.missing)
        this.#say(
          'WARN',
          `file ${this.path} was deleted: it is read from its start once it appears again`,
        );
      else this.#say('ERROR', `file ${this.path}: cannot read: ${found.reason}`);
      return;
    }
    const same =
      followed !== undefined &&
      followed.dev === found.stats.dev.toString() &&
      followed.ino === found.stats.ino.toString();
    if (same) return;
    const had = this.#readers.length > 0 || this.#said !== '';
    if (!this.#openNew(found.stats, false)) return;
    if (followed !== undefined) {
      followed.atPath = false;
      this.#c.notice(
        'INFO',
        `file ${this.path} was rotated: read the end of the old file, then the new file from its start`,
      );
    } else if (had) this.#c.notice('INFO', `file ${this.path} appeared: read from its start`);
  }

  /** Where this path resumes: the oldest file still to read, or none yet. */
  entry(): PathEntry {
    const first = this.#readers[0];
    return first === undefined ? { path: this.path, missing: true } : first.entry(this.path);
  }

  /** Whether the file of this device and inode is open here. */
  holds(dev: string, ino: string): boolean {
    return this.#readers.some((reader) => reader.dev === dev && reader.ino === ino);
  }

  /** Whether nothing is open for the path (a glob's file that went away may be forgotten). */
  get idle(): boolean {
    return this.#readers.length === 0;
  }

  close(): void {
    for (const reader of this.#readers) reader.close();
    this.#readers = [];
  }
}
