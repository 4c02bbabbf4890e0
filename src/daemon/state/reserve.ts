// Room kept for the state on a file system that fills up: owns `riposte.reserve`, a file of a
// few MiB in the state directory. Receives, from the store, the news that a write failed for
// lack of space (the file is removed, and its room goes to SQLite) or that writes work again
// (the file is made again once the file system has room for it).

import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { log } from '../../lib/log.js';

export const RESERVE_FILE = 'riposte.reserve';
/** Room for tens of thousands of new triggers once the disk is full (see the README). */
export const RESERVE_SIZE = 4 << 20;
/** Least time between two checks of the free space while the reserve is spent. */
const RETRY_EVERY = 5000;

export class Reserve {
  readonly path: string;
  readonly size: number;
  readonly #directory: string;
  #present = false;
  #lastTry = Number.NEGATIVE_INFINITY;

  /** The reserve of a state directory: kept if there, made if there is room for it. */
  constructor(directory: string, size = RESERVE_SIZE) {
    this.path = join(directory, RESERVE_FILE);
    this.size = size;
    this.#directory = directory;
    this.#present = existsSync(this.path) && statSync(this.path).size >= size;
    if (this.#present || this.#make()) return;
    log(
      'ERROR',
      `state: no room in ${directory} for riposte's reserve (${mib(size)}): if the disk fills up, new bans will be refused at once; free some space`,
    );
  }

  get present(): boolean {
    return this.#present;
  }

  /** Gives the reserve's room back to the file system; false when it was already spent. */
  release(): boolean {
    if (!this.#present) return false;
    rmSync(this.path, { force: true });
    this.#present = false;
    this.#lastTry = performance.now();
    log(
      'ERROR',
      `state: the file system of ${this.#directory} is full: riposte gave back its ${mib(this.size)} reserve to go on storing triggers; free some space, or new bans will be refused once that room is used`,
    );
    return true;
  }

  /** Makes the reserve again if it is spent and the file system has twice its room free. */
  remake(): boolean {
    if (this.#present || performance.now() - this.#lastTry < RETRY_EVERY) return false;
    this.#lastTry = performance.now();
    const fs = statfsSync(this.#directory);
    if (fs.bavail * fs.bsize < 2 * this.size || !this.#make()) return false;
    log('INFO', `state: the file system of ${this.#directory} has room again: reserve made again`);
    return true;
  }

  /** Writes the file with random bytes: zeros would take no room on a compressing file system. */
  #make(): boolean {
    const chunk = randomFillSync(Buffer.alloc(Math.min(this.size, 1 << 20)));
    try {
      const fd = openSync(this.path, 'w', 0o600);
      try {
        for (let written = 0; written < this.size; ) {
          written += writeSync(fd, chunk, 0, Math.min(chunk.length, this.size - written));
        }
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.#present = true;
    } catch {
      rmSync(this.path, { force: true });
      this.#present = false;
    }
    this.#lastTry = performance.now();
    return this.#present;
  }
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
}
