// The stream concept: a long-running command whose output lines go to its filters, files
// or the systemd journal read by riposte itself (resumed where it stopped), a virtual
// stream fed by actions, or a cluster stream fed by the other hosts' cluster actions.
// Receives a raw stream map; sends a frozen Stream.

import type { Checker, Path } from './check.js';
import { buildFilter, type Filter } from './filter.js';
import type { Scope } from './scope.js';
import { buildSource, defaultCatchUp, type ReadSource } from './stream-source.js';

export const STREAM_TYPES = ['cmd', 'file', 'journal', 'virtual', 'cluster'] as const;
const KEYS = ['cmd', 'type', 'options', 'filters'];

export interface Stream {
  readonly name: string;
  readonly type: (typeof STREAM_TYPES)[number];
  /** The command's argv; empty for a virtual or cluster stream. */
  readonly cmd: readonly string[];
  /** What a file or journal stream reads; undefined for the other types. */
  readonly source: ReadSource | undefined;
  /** How far back (ms) a file or journal stream reads on resume; 0 for the other types. */
  readonly catchUp: number;
  readonly filters: readonly Filter[];
}

export function buildStream(
  c: Checker,
  path: Path,
  name: string,
  raw: unknown,
  scope: Scope,
): Stream | undefined {
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const type =
    map['type'] === undefined ? 'cmd' : c.oneOf(map['type'], [...path, 'type'], STREAM_TYPES);
  const read =
    type === 'file' || type === 'journal' ? buildSource(c, path, type, map['options']) : null;
  if (read === null && map['options'] !== undefined)
    c.map(map['options'], [...path, 'options'], []);
  const cmd = type === undefined ? undefined : readCmd(c, path, type, map['cmd']);
  const filters = buildFilters(c, [...path, 'filters'], name, map['filters'], scope);
  if (
    type === undefined ||
    cmd === undefined ||
    read === undefined ||
    filters === undefined ||
    c.errors.length > errors
  )
    return undefined;
  const source = read?.source;
  const catchUp = read === null ? 0 : (read.catchUp ?? defaultCatchUp(filters));
  return Object.freeze({ name, type, cmd, source, catchUp, filters });
}

function readCmd(c: Checker, path: Path, type: Stream['type'], raw: unknown): string[] | undefined {
  if (type !== 'cmd') {
    if (raw !== undefined)
      return c.fail([...path, 'cmd'], `a ${type} stream has no command: ${FED_BY[type]}`, 'key');
    return [];
  }
  if (raw === undefined) return c.fail(path, 'missing key "cmd"');
  return c.argv(raw, [...path, 'cmd']);
}

const FED_BY = {
  file: 'it reads the files its options name',
  journal: 'it reads the systemd journal',
  virtual: 'actions of type "virtual" feed it',
  cluster: 'the actions of type "cluster" of the other hosts feed it',
};

function buildFilters(
  c: Checker,
  path: Path,
  stream: string,
  raw: unknown,
  scope: Scope,
): Filter[] | undefined {
  if (raw === undefined) return c.fail(path.slice(0, -1), 'missing key "filters"');
  const entries = c.names(raw, path, 'filters');
  if (entries === undefined) return undefined;
  if (entries.length === 0) return c.fail(path, 'a stream needs at least one filter');
  const filters = entries.map(([name, value]) =>
    buildFilter(c, [...path, name], { stream, name }, value, scope),
  );
  return filters.every((f) => f !== undefined) ? filters : undefined;
}
