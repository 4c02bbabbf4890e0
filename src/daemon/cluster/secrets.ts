// The secret files the `cluster` key names (password, token, credentials, NKey seed): read
// when the daemon connects, never printed. Receives a path and the key that names it; sends
// the bytes or text, or a ConfigError that says which file could not be read and why.

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../lib/errors.js';

/** Secrets are a few hundred bytes; a larger file is not one (a log, a device) and is not read. */
const MAX_SECRET = 64 * 1024;
/** O_NONBLOCK: a fifo named as a secret file opens at once instead of blocking start-up. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** A secret file's text without its final newline (`echo secret > file` writes one). */
export function secret(path: string, key: string): string {
  return new TextDecoder().decode(secretBytes(path, key)).replace(/\r?\n$/, '');
}

export function secretBytes(path: string, key: string): Uint8Array {
  const refused = (why: string) =>
    new ConfigError('', `cannot read cluster.nats.${key} ${path}: ${why}`);
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    throw refused((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw refused('not a regular file');
    if (info.size > MAX_SECRET) throw refused(`larger than ${MAX_SECRET} bytes: not a secret file`);
    return readFileSync(fd);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw refused((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  } finally {
    closeSync(fd);
  }
}
