// The `options` of the streams riposte reads itself: `type: file` (files followed as
// `tail -F` does) and `type: journal` (the systemd journal), and how far back each reads
// on resume. Receives a stream's raw options; sends a frozen FileSource or JournalSource.

import type { Checker, Path } from './check.js';
import type { Filter } from './filter.js';

export interface FileSource {
  readonly type: 'file';
  /** Absolute paths; the last component may hold the globs `*`, `?` and `[…]`. */
  readonly paths: readonly string[];
}

export interface JournalSource {
  readonly type: 'journal';
  readonly units: readonly string[];
  readonly identifiers: readonly string[];
  /** `FIELD=value`, as journalctl takes them. */
  readonly matches: readonly string[];
  readonly directory: string | undefined;
  readonly files: readonly string[];
  /** The text is `IDENTIFIER[PID]: MESSAGE`, as `journalctl -o short` shows it, not MESSAGE alone. */
  readonly withIdentifier: boolean;
}

export type ReadSource = FileSource | JournalSource;

const FILE_KEYS = ['path', 'paths', 'catch_up'];
const JOURNAL_KEYS = [
  'units',
  'identifiers',
  'matches',
  'directory',
  'files',
  'with_identifier',
  'catch_up',
];
/** Without filters that count over a period, how far back a resumed stream reads. */
export const DEFAULT_CATCH_UP = 3_600_000;

/** The source of a file or journal stream, and its catch-up bound (ms). */
export function buildSource(
  c: Checker,
  path: Path,
  type: ReadSource['type'],
  raw: unknown,
): { source: ReadSource; catchUp: number | undefined } | undefined {
  const where = [...path, 'options'];
  if (raw === undefined)
    return type === 'file'
      ? c.fail(path, 'a file stream needs options: { path: /var/log/… }')
      : { source: journal(c, where, {})!, catchUp: undefined };
  const map = c.map(raw, where, type === 'file' ? FILE_KEYS : JOURNAL_KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const catchUp =
    map['catch_up'] === undefined ? undefined : c.duration(map['catch_up'], [...where, 'catch_up']);
  const source = type === 'file' ? file(c, where, map) : journal(c, where, map);
  if (source === undefined || c.errors.length > errors) return undefined;
  return { source, catchUp };
}

/** The default bound: the longest `retryperiod` of the stream's filters. */
export function defaultCatchUp(filters: readonly Filter[]): number {
  const longest = Math.max(0, ...filters.map((f) => f.retryperiod));
  return longest > 0 ? longest : DEFAULT_CATCH_UP;
}

function file(c: Checker, path: Path, map: Record<string, unknown>): FileSource | undefined {
  if ((map['path'] === undefined) === (map['paths'] === undefined))
    return c.fail(path, 'write either "path" (one file) or "paths" (a list), once');
  const paths =
    map['path'] !== undefined
      ? listOf(c.string(map['path'], [...path, 'path']))
      : c.stringList(map['paths'], [...path, 'paths'], { nonEmpty: true });
  if (paths === undefined) return undefined;
  const key = map['path'] !== undefined ? 'path' : 'paths';
  for (const [i, p] of paths.entries())
    checkFilePath(c, key === 'path' ? [...path, key] : [...path, key, i], p);
  return Object.freeze({ type: 'file', paths: Object.freeze([...paths]) });
}

function listOf(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : [value];
}

const GLOB = /[*?[]/;

function checkFilePath(c: Checker, path: Path, value: string): void {
  if (!value.startsWith('/')) c.fail(path, `"${value}" is not an absolute path`);
  else if (GLOB.test(value.slice(0, value.lastIndexOf('/'))))
    c.fail(path, `"${value}": globs are read in the file name only, not in its directories`);
  else if (value.endsWith('/')) c.fail(path, `"${value}" names a directory, not a file`);
}

function journal(c: Checker, path: Path, map: Record<string, unknown>): JournalSource | undefined {
  const list = (key: string): readonly string[] | undefined =>
    map[key] === undefined ? [] : c.stringList(map[key], [...path, key], { nonEmpty: true });
  const units = list('units');
  const identifiers = list('identifiers');
  const matches = list('matches');
  const files = list('files');
  matches?.forEach((m, i) => {
    if (!/^[A-Z0-9_]+=/.test(m))
      c.fail(
        [...path, 'matches', i],
        `"${m}": expected FIELD=value, the field in capitals as _SYSTEMD_UNIT=ssh.service`,
      );
  });
  files?.forEach((f, i) => {
    if (!f.startsWith('/')) c.fail([...path, 'files', i], `"${f}" is not an absolute path`);
  });
  const directory =
    map['directory'] === undefined ? undefined : c.string(map['directory'], [...path, 'directory']);
  if (directory !== undefined && !directory.startsWith('/'))
    c.fail([...path, 'directory'], `"${directory}" is not an absolute path`);
  if (directory !== undefined && files !== undefined && files.length > 0)
    c.fail(path, 'write either "directory" or "files", not both');
  const withIdentifier =
    map['with_identifier'] === undefined
      ? false
      : c.boolean(map['with_identifier'], [...path, 'with_identifier']);
  if (
    units === undefined ||
    identifiers === undefined ||
    matches === undefined ||
    files === undefined ||
    withIdentifier === undefined
  )
    return undefined;
  return Object.freeze({
    type: 'journal',
    units: Object.freeze([...units]),
    identifiers: Object.freeze([...identifiers]),
    matches: Object.freeze([...matches]),
    directory,
    files: Object.freeze([...files]),
    withIdentifier,
  });
}
