// Where a file stream resumes, as plain JSON data: per path followed, the file read there
// (device, inode, the fingerprint of its first bytes) and the offset after its last line
// handed over. Receives the data a state file gave back; sends it validated, or the reason not.

import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';

/** Bytes of a file's start that tell it from another, even one given the same inode. */
export const HEAD_BYTES = 1024;
const MAX_FILES = 100_000;

export interface Fingerprint {
  /** How many of the first bytes it covers: min(size, 1024) when it was taken. */
  readonly length: number;
  readonly sha256: string;
}

/** A file being read at `path` (it may have been renamed since: dev and ino find it). */
export interface FileEntry {
  readonly path: string;
  /** Decimal, as the kernel's numbers may pass 2^53. */
  readonly dev: string;
  readonly ino: string;
  readonly offset: number;
  readonly head: Fingerprint;
}

/** Nothing was read at `path` yet: the file found there is read from its start. */
export interface MissingEntry {
  readonly path: string;
  readonly missing: true;
}

export type PathEntry = FileEntry | MissingEntry;

export interface FilePosition {
  readonly files: readonly PathEntry[];
}

export function fingerprintOf(head: Buffer): Fingerprint {
  return { length: head.length, sha256: createHash('sha256').update(head).digest('hex') };
}

export type Parsed =
  | { readonly ok: true; readonly position: FilePosition }
  | { readonly ok: false; readonly reason: string };

/** A position from the state, checked key by key: it may be damaged or edited by hand. */
export function parsePosition(data: unknown): Parsed {
  try {
    const top = record(data, 'the position', ['files']);
    if (!Array.isArray(top['files'])) throw new Invalid('files: not a list');
    if (top['files'].length > MAX_FILES) throw new Invalid(`files: more than ${MAX_FILES}`);
    const seen = new Set<string>();
    const files = top['files'].map((item: unknown, i) => {
      const entry = pathEntry(item, `files[${i}]`);
      if (seen.has(entry.path)) throw new Invalid(`files[${i}].path: ${entry.path} named twice`);
      seen.add(entry.path);
      return entry;
    });
    return { ok: true, position: { files } };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: error.message };
    throw error;
  }
}

class Invalid extends Error {}

function pathEntry(item: unknown, where: string): PathEntry {
  const map = record(item, where, ['path', 'missing', 'dev', 'ino', 'offset', 'head']);
  const path = map['path'];
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0'))
    throw new Invalid(`${where}.path: not an absolute path`);
  if ('missing' in map) {
    if (map['missing'] !== true || Object.keys(map).length !== 2)
      throw new Invalid(`${where}: "missing" must be true and alone with "path"`);
    return { path, missing: true };
  }
  const head = record(map['head'], `${where}.head`, ['length', 'sha256']);
  const length = wholeNumber(head['length'], `${where}.head.length`);
  if (length > HEAD_BYTES) throw new Invalid(`${where}.head.length: more than ${HEAD_BYTES}`);
  const sha256 = head['sha256'];
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw new Invalid(`${where}.head.sha256: not 64 hexadecimal digits`);
  return {
    path,
    dev: decimal(map['dev'], `${where}.dev`),
    ino: decimal(map['ino'], `${where}.ino`),
    offset: wholeNumber(map['offset'], `${where}.offset`),
    head: { length, sha256 },
  };
}

function record(value: unknown, where: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Invalid(`${where}: not a map`);
  const map = value as Record<string, unknown>;
  for (const key of Object.keys(map))
    if (!keys.includes(key)) throw new Invalid(`${where}: unknown key ${JSON.stringify(key)}`);
  return map;
}

function wholeNumber(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Invalid(`${where}: not a whole number ≥ 0`);
  return value;
}

function decimal(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value))
    throw new Invalid(`${where}: not a decimal number in a string`);
  return value;
}
