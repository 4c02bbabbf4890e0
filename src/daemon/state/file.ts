// The state file as the file system sees it: made under another name and renamed into place
// once laid out, so that a `riposte.db` is never half made and an empty one always means
// damage; mode 0600 for it and its write-ahead log; the checks of the directory and of an
// existing file before SQLite opens it. Receives the state file's path; sends a StateError
// naming the file, or warnings to the log.

import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { StateError } from '../../lib/errors.js';
import { log } from '../../lib/log.js';
import { type Db, openDatabase, openError } from './sqlite.js';

/** The name a new state file has until it is laid out. */
export function creatingPath(path: string): string {
  return `${path}.creating`;
}

/** Makes a new state file: laid out by `layout` under another name, then renamed into place. */
export function createStateFile(path: string, layout: (db: Db) => void): void {
  const temporary = creatingPath(path);
  removeLeftovers(temporary);
  // Made here, before SQLite opens it: its mode, whatever the umask, is the one SQLite gives
  // the write-ahead log too.
  const fd = openSync(temporary, 'wx', 0o600);
  fchmodSync(fd, 0o600);
  closeSync(fd);
  const db = openDatabase(temporary);
  try {
    layout(db);
    db.close();
  } catch (error) {
    db.close();
    removeLeftovers(temporary);
    throw openError(path, error);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

/** A file riposte was making when it stopped holds nothing yet: removed. */
export function removeLeftovers(temporary: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    rmSync(temporary + suffix, { force: true });
}

/**
 * Refuses an existing file that cannot be a state file riposte left: empty, or shorter than
 * its own header says. Makes it and its write-ahead log private if they were not.
 */
export function checkStateFile(path: string): void {
  const size = statSync(path).size;
  if (size === 0) {
    throw new StateError(
      `cannot open state file ${path}: it is empty (0 bytes), which a state file riposte made never is: it was damaged (a full disk, a crash of the file system?) and held pending actions that are lost; riposte will not overwrite it: restore it from a backup, or move it away to start afresh`,
    );
  }
  const expected = headerSize(path);
  if (expected !== undefined && size < expected && !hasLog(path)) {
    throw new StateError(
      `cannot open state file ${path}: it is truncated (${size} bytes where its header says ${expected}); riposte will not overwrite it: move it away (sqlite3 .recover may save its content)`,
    );
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) makePrivate(file);
}

/** Warns about a state directory that other users could write to: they could replace the file. */
export function checkDirectory(directory: string): void {
  const mode = statSync(directory).mode;
  const sticky = (mode & 0o1000) !== 0;
  if ((mode & 0o022) !== 0 && !sticky) {
    log(
      'WARN',
      `state: ${directory} is writable by other users (mode ${octal(mode)}), who could replace the state file: make it 0700`,
    );
  }
}

/**
 * The size an SQLite file's header gives, when the header can be trusted: its page count is
 * valid only while the version-valid-for number equals the change counter.
 */
function headerSize(path: string): number | undefined {
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
  return valid && pages > 0 ? pages * pageSize : undefined;
}

/** A write-ahead log with content: the file may legitimately lag behind its header until it is replayed. */
function hasLog(path: string): boolean {
  const wal = `${path}-wal`;
  return existsSync(wal) && statSync(wal).size > 0;
}

function makePrivate(file: string): void {
  if (!existsSync(file)) return;
  const mode = statSync(file).mode;
  if ((mode & 0o077) === 0) return;
  try {
    const fd = openSync(file, 'r');
    try {
      fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
    log('WARN', `state: ${file} was open to other users (mode ${octal(mode)}): made 0600`);
  } catch (error) {
    log(
      'WARN',
      `state: ${file} is open to other users (mode ${octal(mode)}) and cannot be made 0600: ${(error as Error).message}`,
    );
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Makes a rename in `directory` durable. */
function syncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** SQLite's own errors on a read-only directory are vague ("disk I/O error"): say it first. */
export function checkWritable(directory: string, path: string): void {
  try {
    accessSync(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
      EROFS: `the file system of ${directory} is read-only`,
      EACCES: `${directory} is not writable by this user`,
      ENOENT: `${directory} does not exist`,
    };
    const reason = (code === undefined ? undefined : reasons[code]) ?? (error as Error).message;
    throw new StateError(`cannot open state file ${path}: ${reason}`, { cause: error });
  }
}
