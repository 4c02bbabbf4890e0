// The `use:` key of a filter: a pass over the raw merged configuration, before it is checked,
// that brings a library filter's regexes and retry rule into each filter naming one.
// Receives the merged value; sends it with every `use` expanded into the library's keys (the
// user's own keys win, a user's `regex` list goes first; the name is kept), an `ip` pattern
// when none is declared, and an error with the closest name for an unknown one.

import { closest } from '../lib/suggest.js';
import { type Checker, describe, isPlainObject, type Path } from './check.js';
import { KEYS as FILTER_KEYS } from './filter.js';
import {
  type LibraryFilter,
  type LibraryMode,
  type LibraryPattern,
  libraryNames,
  readLibraryFilter,
} from './library-file.js';

/** The pattern `use:` declares when the configuration has none of that name. */
const BROUGHT_PATTERNS: Readonly<Record<LibraryPattern, Record<string, unknown>>> = {
  // The machine itself: banning it breaks its own services, as fail2ban's `ignoreself` knows.
  ip: { type: 'ip', ignore: ['127.0.0.1', '::1'] },
};

export interface Resolved {
  readonly filter: LibraryFilter;
  readonly mode: LibraryMode;
}

/** `sshd` (its normal mode), `sshd-aggressive` (a mode), or undefined. */
export function resolveUse(name: string): Resolved | undefined {
  const names = new Set(libraryNames());
  if (names.has(name)) return withMode(name, 'normal');
  for (let cut = name.lastIndexOf('-'); cut > 0; cut = name.lastIndexOf('-', cut - 1)) {
    const service = name.slice(0, cut);
    if (names.has(service)) {
      const found = withMode(service, name.slice(cut + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function withMode(service: string, mode: string): Resolved | undefined {
  const filter = readLibraryFilter(service);
  const found = filter.modes.get(mode);
  return found === undefined ? undefined : { filter, mode: found };
}

/** Every name `use:` takes: each service, then each of its modes but normal as `NAME-MODE`. */
export function useNames(): string[] {
  return libraryNames().flatMap((name) => [
    name,
    ...[...readLibraryFilter(name).modes.keys()]
      .filter((mode) => mode !== 'normal')
      .map((mode) => `${name}-${mode}`),
  ]);
}

/** The filter keys `use:` brings: what a user would have written instead. */
export function broughtKeys({ filter, mode }: Resolved): Record<string, unknown> {
  const matching =
    filter.type === 'struct'
      ? { type: 'struct', options: { lang: 'json', fields: structFields(filter.fields ?? {}) } }
      : { regex: [...mode.regex] };
  return {
    ...matching,
    retry: mode.retry,
    // Brought with retry 1 too: a user who raises retry beside `use:` needs no window of theirs.
    retryperiod: mode.retryperiod,
    // Brought once the filter builder reads a line's time.
    ...(filter.time !== undefined && FILTER_KEYS.includes('time') ? { time: filter.time } : {}),
  };
}

function structFields(fields: Readonly<Record<string, string>>): Record<string, { regex: string }> {
  return Object.fromEntries(Object.entries(fields).map(([field, regex]) => [field, { regex }]));
}

/** The configuration with each filter's `use` expanded; see the file's opening lines. */
export function expandLibrary(c: Checker, raw: Record<string, unknown>): Record<string, unknown> {
  const streams = raw['streams'];
  if (!isPlainObject(streams)) return raw;
  const needed = new Set<LibraryPattern>();
  const expanded: Record<string, unknown> = {};
  for (const [name, stream] of Object.entries(streams)) {
    expanded[name] = expandStream(c, ['streams', name], stream, needed);
  }
  return { ...raw, streams: expanded, ...withPatterns(raw['patterns'], needed) };
}

function expandStream(
  c: Checker,
  path: Path,
  stream: unknown,
  needed: Set<LibraryPattern>,
): unknown {
  if (!isPlainObject(stream) || !isPlainObject(stream['filters'])) return stream;
  const filters: Record<string, unknown> = {};
  for (const [name, filter] of Object.entries(stream['filters'])) {
    filters[name] = expandFilter(c, [...path, 'filters', name], filter, needed);
  }
  return { ...stream, filters };
}

function expandFilter(
  c: Checker,
  path: Path,
  filter: unknown,
  needed: Set<LibraryPattern>,
): unknown {
  if (!isPlainObject(filter) || !('use' in filter)) return filter;
  const { use, ...own } = filter;
  const resolved = resolveNamed(c, [...path, 'use'], use);
  if (resolved === undefined) return own;
  for (const pattern of resolved.filter.patterns) needed.add(pattern);
  const brought = broughtKeys(resolved);
  // The name stays, as metadata: the replay narrows `--missed` to the service's lines by it.
  const merged: Record<string, unknown> = { ...brought, ...own, use };
  if (Array.isArray(own['regex']) && Array.isArray(brought['regex'])) {
    merged['regex'] = [...own['regex'], ...brought['regex']];
  }
  return merged;
}

function resolveNamed(c: Checker, path: Path, use: unknown): Resolved | undefined {
  if (typeof use !== 'string') {
    return c.fail(
      path,
      `expected the name of a library filter such as "sshd", got ${describe(use)}`,
    );
  }
  const resolved = resolveUse(use);
  if (resolved !== undefined) return resolved;
  const near = closest(use, useNames());
  const hint = near === undefined ? '' : `, did you mean "${near}"?`;
  return c.fail(path, `unknown library filter "${use}"${hint} (riposte filters lists them)`);
}

/** The declared patterns, with those the library needs and the configuration lacks. */
function withPatterns(raw: unknown, needed: ReadonlySet<LibraryPattern>): Record<string, unknown> {
  if (raw !== undefined && !isPlainObject(raw)) return {};
  const declared = raw ?? {};
  const missing = [...needed].filter((name) => !(name in declared));
  if (missing.length === 0) return {};
  const added = Object.fromEntries(missing.map((name) => [name, { ...BROUGHT_PATTERNS[name] }]));
  return { patterns: { ...declared, ...added } };
}
