// For tests: journal files written by systemd-journal-remote from journal export format, so
// that journalctl reads real journals where journald does not run. Receives entries; sends a
// file in a directory (a new one, or entries appended to it). Used by tests only.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { which } from '../../lib/which.js';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

export interface TestEntry {
  /** A string, or bytes (not UTF-8, binary). */
  readonly message: string | Uint8Array;
  readonly identifier?: string;
  readonly unit?: string;
  readonly pid?: number;
  /** ms since the epoch. */
  readonly time: number;
  /** Any other field, `_TRANSPORT` say. */
  readonly fields?: Readonly<Record<string, string | Uint8Array>>;
  /** `_BOOT_ID`: 32 hex digits; one fixed boot by default. */
  readonly boot?: string;
}

const BOOT = '0123456789abcdef0123456789abcdef';

/**
 * Writes entries into `dir/file` (a `.journal` name; appended to when it exists) and waits
 * until systemd-journal-remote has closed it. Returns the file's path.
 */
export function writeJournal(
  dir: string,
  entries: readonly TestEntry[],
  o: { file?: string } = {},
): Promise<string> {
  const path = join(dir, o.file ?? 'test.journal');
  const child = spawn(JOURNAL_REMOTE, [`--output=${path}`, '-'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr += text;
  });
  child.stdin.end(Buffer.concat(entries.map(exported)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(path);
      else reject(new Error(`${JOURNAL_REMOTE} ${path}: exit status ${code}: ${stderr.trim()}`));
    });
  });
}

/** Why journal tests cannot run here, or undefined when they can. */
export function journalToolsMissing(): string | undefined {
  try {
    accessSync(JOURNAL_REMOTE, constants.X_OK);
  } catch {
    return `${JOURNAL_REMOTE} is missing (Debian package systemd-journal-remote)`;
  }
  return which('journalctl') === undefined ? 'journalctl is missing (package systemd)' : undefined;
}

/** One entry in journal export format: `FIELD=value` lines, or a sized binary value. */
function exported(entry: TestEntry): Buffer {
  const micros = BigInt(Math.round(entry.time * 1000));
  const parts: Buffer[] = [
    Buffer.from(`__REALTIME_TIMESTAMP=${micros}\n__MONOTONIC_TIMESTAMP=${micros}\n`),
    field('_BOOT_ID', entry.boot ?? BOOT),
  ];
  if (entry.identifier !== undefined) parts.push(field('SYSLOG_IDENTIFIER', entry.identifier));
  if (entry.unit !== undefined) parts.push(field('_SYSTEMD_UNIT', entry.unit));
  if (entry.pid !== undefined) parts.push(field('_PID', String(entry.pid)));
  for (const [name, value] of Object.entries(entry.fields ?? {})) parts.push(field(name, value));
  parts.push(field('MESSAGE', entry.message), Buffer.from('\n'));
  return Buffer.concat(parts);
}

function field(name: string, value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
  if (typeof value === 'string' && !value.includes('\n'))
    return Buffer.concat([Buffer.from(`${name}=`), bytes, Buffer.from('\n')]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([Buffer.from(`${name}\n`), size, bytes, Buffer.from('\n')]);
}
