// Reads a file only when it is a regular file of bounded size. Receives a path; sends its
// text, or the reason it was refused. A fifo named where a file is expected would block a
// read for ever, a device could be endless or act on being opened (a watchdog): neither is
// opened, and a file swapped for one between the check and the open is caught by fstat.

import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

export type Read =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

/** O_NONBLOCK: opening a fifo that slipped past stat() returns at once instead of waiting for a writer. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
const CHUNK = 64 * 1024;

/**
 * The text of a regular file of at most `maxBytes`; with `cut`, a longer file is not refused
 * but read up to one byte past the bound, so that the caller can tell it was longer.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  options: { cut?: boolean } = {},
): Promise<Read> {
  const bound = options.cut === true ? Number.POSITIVE_INFINITY : maxBytes;
  try {
    const refused = notRegular(await stat(path), bound);
    if (refused !== undefined) return { ok: false, reason: refused };
    const handle = await open(path, FLAGS);
    try {
      const swapped = notRegular(await handle.stat(), bound);
      if (swapped !== undefined) return { ok: false, reason: swapped };
      const text = await readAtMost(handle, maxBytes, options.cut === true);
      if (text === undefined) return { ok: false, reason: tooLarge(maxBytes) };
      return { ok: true, text };
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, reason: systemReason(error as NodeJS.ErrnoException) };
  }
}

/** The whole text, or undefined past `maxBytes` (a file may grow after fstat), or its start with `cut`. */
async function readAtMost(
  handle: FileHandle,
  maxBytes: number,
  cut: boolean,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - length));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead > 0) chunks.push(chunk.subarray(0, bytesRead));
    length += bytesRead;
    if (bytesRead === 0 || (cut && length > maxBytes))
      return Buffer.concat(chunks, length).toString('utf8');
    if (length > maxBytes) return undefined;
  }
}

/** Why a file of this kind and size is not read, or undefined if it is read. */
export function notRegular(info: Stats, maxBytes: number): string | undefined {
  if (info.isFile()) return info.size > maxBytes ? tooLarge(maxBytes) : undefined;
  return `${kindOf(info)}, not a regular file`;
}

/** "a fifo", "a directory"...: what a path names, for messages. */
export function kindOf(info: Stats): string {
  if (info.isFile()) return 'a regular file';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a fifo';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

function tooLarge(maxBytes: number): string {
  return `larger than ${maxBytes / 1024 / 1024} MiB, more than a configuration file can be`;
}

export function systemReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return error.message;
  }
}
