// The secret files the `cluster` key names (password, token, credentials, NKey seed): read
// when the daemon connects, never printed. Receives a path and the key that names it; sends
// the bytes or text, or a ConfigError that says which file could not be read and why.

import { readFileSync } from 'node:fs';
import { ConfigError } from '../../lib/errors.js';

/** A secret file's text without its final newline (`echo secret > file` writes one). */
export function secret(path: string, key: string): string {
  return new TextDecoder().decode(secretBytes(path, key)).replace(/\r?\n$/, '');
}

export function secretBytes(path: string, key: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      '',
      `cannot read cluster.nats.${key} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
