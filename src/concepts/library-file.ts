// One service of the filter library: a YAML file under library/, read and checked into a
// LibraryFilter (what it catches, where its lines come from, its retry rule, its modes).
// Receives a service name; sends the frozen LibraryFilter, or throws a ConfigError placed in
// the library file (the library ships with riposte: a mistake there is riposte's own).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { HOME } from '../lib/home.js';
import { TIME_FORMATS, type TimeFormat } from '../lib/timestamp.js';
import { Checker, isPlainObject, type Path } from './check.js';
import { readYaml } from './yaml.js';

/** Where the library lives: beside dist/ in a clone and in the installed package. */
export const LIBRARY_DIR = join(HOME, 'library/');

/** The patterns library regexes capture; `use:` declares them when a configuration does not. */
export const LIBRARY_PATTERNS = ['ip'] as const;
export type LibraryPattern = (typeof LIBRARY_PATTERNS)[number];

const KEYS = [
  'description',
  'sources',
  'time',
  'retry',
  'retryperiod',
  'patterns',
  'type',
  'regex',
  'fields',
  'modes',
  'corpus',
  'samples',
];
const SOURCE_KEYS = ['journald', 'syslog', 'files', 'json'] as const;
const MODE_KEYS = ['description', 'include', 'regex', 'retry', 'retryperiod'];

export interface Sources {
  /** systemd units, for `journalctl -u`. */
  readonly journald: readonly string[];
  /** syslog identifiers (the `sshd` of `sshd[123]:`), for `journalctl -t`. */
  readonly syslog: readonly string[];
  readonly files: readonly string[];
  /** For struct filters: the JSON fields read. */
  readonly json: readonly string[];
}

export interface LibraryMode {
  readonly name: string;
  readonly description: string | undefined;
  /** Every regex of the mode, in order: the common ones, the included modes', its own. */
  readonly regex: readonly string[];
  readonly retry: number;
  readonly retryperiod: string;
}

/** A line of the library file's own samples, checked by the tests. */
export interface Sample {
  readonly line: string;
  readonly mode: string;
  /** The address the line must yield, or undefined when it must not match. */
  readonly host: string | undefined;
}

export interface LibraryFilter {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly sources: Sources;
  readonly time: TimeFormat | undefined;
  readonly patterns: readonly LibraryPattern[];
  readonly type: 'regex' | 'struct';
  /** Struct filters: the regex of each JSON field. */
  readonly fields: Readonly<Record<string, string>> | undefined;
  /** "normal" first. */
  readonly modes: ReadonlyMap<string, LibraryMode>;
  /** The corpus notes as written, read by the corpus tests. */
  readonly corpus: unknown;
  readonly samples: readonly Sample[];
}

/** Every service name of the library, sorted. */
export function libraryNames(): string[] {
  return readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => f.slice(0, -'.yml'.length))
    .sort();
}

const cache = new Map<string, LibraryFilter>();

export function readLibraryFilter(name: string): LibraryFilter {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const file = `${LIBRARY_DIR}${name}.yml`;
  const doc = readYaml(file, readFileSync(file, 'utf8'));
  const c = new Checker((path, what) => doc.locate(path, what ?? 'value'));
  const filter = checkFilter(c, name, file, doc.value);
  const first = c.errors[0];
  if (first !== undefined || filter === undefined) {
    const reason = first?.reason ?? 'not a valid library filter';
    throw new ConfigError(first?.place ?? file, `cannot read library filter "${name}": ${reason}`);
  }
  cache.set(name, filter);
  return filter;
}

function checkFilter(
  c: Checker,
  name: string,
  file: string,
  raw: unknown,
): LibraryFilter | undefined {
  const map = c.map(raw, [], KEYS);
  if (map === undefined) return undefined;
  const description = required(c, [], map, 'description');
  const type =
    map['type'] === undefined ? 'regex' : c.oneOf(map['type'], ['type'], ['regex', 'struct']);
  const time = map['time'] === undefined ? undefined : c.oneOf(map['time'], ['time'], TIME_FORMATS);
  const retry = c.integer(map['retry'] ?? 1, ['retry'], 1);
  const retryperiod = required(c, [], map, 'retryperiod');
  if (retryperiod !== undefined) c.duration(retryperiod, ['retryperiod']);
  const patterns =
    map['patterns'] === undefined
      ? c.fail([], 'missing key "patterns"')
      : readPatterns(c, map['patterns']);
  const common = map['regex'] === undefined ? [] : regexList(c, ['regex'], map['regex']);
  const fields = type === 'struct' ? readFields(c, map['fields']) : undefined;
  if (type !== 'struct' && map['fields'] !== undefined)
    c.fail(['fields'], 'only a filter of type "struct" has fields', 'key');
  const base = { retry: retry ?? 1, retryperiod: retryperiod ?? '' };
  const modes = readModes(c, map['modes'], common ?? [], { ...base, struct: type === 'struct' });
  if (type === 'struct' && modes.size > 1)
    c.fail(['modes'], 'a filter of type "struct" has one mode');
  const samples = readSamples(c, map['samples'], modes);
  if (description === undefined || type === undefined || patterns === undefined) return undefined;
  return Object.freeze({
    name,
    file,
    description,
    sources: readSources(c, map['sources']),
    time,
    patterns,
    type,
    fields,
    modes,
    corpus: map['corpus'],
    samples,
  });
}

function required(
  c: Checker,
  path: Path,
  map: Record<string, unknown>,
  key: string,
): string | undefined {
  if (map[key] === undefined) return c.fail(path, `missing key "${key}"`);
  return c.string(map[key], [...path, key]);
}

function readPatterns(c: Checker, raw: unknown): LibraryPattern[] | undefined {
  const names = c.stringList(raw, ['patterns'], { nonEmpty: true });
  const patterns = names?.map((name, i) => c.oneOf(name, ['patterns', i], LIBRARY_PATTERNS));
  return patterns?.every((p) => p !== undefined) ? patterns : undefined;
}

function regexList(c: Checker, path: Path, raw: unknown): string[] | undefined {
  return c.stringList(raw, path, { nonEmpty: true });
}

function readSources(c: Checker, raw: unknown): Sources {
  const map = c.map(raw ?? {}, ['sources'], SOURCE_KEYS) ?? {};
  const list = (key: (typeof SOURCE_KEYS)[number]) =>
    map[key] === undefined
      ? []
      : (c.stringList(map[key], ['sources', key], { nonEmpty: true }) ?? []);
  return {
    journald: list('journald'),
    syslog: list('syslog'),
    files: list('files'),
    json: list('json'),
  };
}

function readFields(c: Checker, raw: unknown): Record<string, string> | undefined {
  if (raw === undefined) return c.fail([], 'missing key "fields": a struct filter needs fields');
  const fields: Record<string, string> = {};
  for (const [field, regex] of c.entries(raw, ['fields'], 'fields') ?? []) {
    const source = c.string(regex, ['fields', field]);
    if (source !== undefined) fields[field] = source;
  }
  return fields;
}

interface RawMode {
  readonly description: string | undefined;
  readonly include: readonly string[];
  readonly regex: readonly string[];
  readonly retry: number | undefined;
  readonly retryperiod: string | undefined;
}

/** The modes with their regexes resolved; "normal" is always there, first. */
function readModes(
  c: Checker,
  raw: unknown,
  common: readonly string[],
  base: { retry: number; retryperiod: string; struct: boolean },
): Map<string, LibraryMode> {
  const declared = new Map<string, RawMode>();
  for (const [name, value] of raw === undefined ? [] : (c.names(raw, ['modes'], 'modes') ?? [])) {
    const mode = readMode(c, ['modes', name], value);
    if (mode !== undefined) declared.set(name, mode);
  }
  const names = ['normal', ...[...declared.keys()].filter((n) => n !== 'normal')];
  const modes = new Map<string, LibraryMode>();
  for (const name of names) {
    const mode = declared.get(name);
    const regex = [...common, ...resolveRegexes(c, name, declared, [])];
    if (regex.length === 0 && !base.struct && c.errors.length === 0)
      c.fail(name === 'normal' ? [] : ['modes', name], `mode "${name}" has no regex`);
    modes.set(name, {
      name,
      description: mode?.description,
      regex: [...new Set(regex)],
      retry: mode?.retry ?? base.retry,
      retryperiod: mode?.retryperiod ?? base.retryperiod,
    });
  }
  return modes;
}

function readMode(c: Checker, path: Path, raw: unknown): RawMode | undefined {
  const map = c.map(raw, path, MODE_KEYS);
  if (map === undefined) return undefined;
  const list = (key: string) =>
    map[key] === undefined
      ? []
      : (c.stringList(map[key], [...path, key], { nonEmpty: true }) ?? []);
  const retryperiod =
    map['retryperiod'] === undefined
      ? undefined
      : c.string(map['retryperiod'], [...path, 'retryperiod']);
  if (retryperiod !== undefined) c.duration(retryperiod, [...path, 'retryperiod']);
  return {
    description:
      map['description'] === undefined
        ? undefined
        : c.string(map['description'], [...path, 'description']),
    include: list('include'),
    regex: list('regex'),
    retry: map['retry'] === undefined ? undefined : c.integer(map['retry'], [...path, 'retry'], 1),
    retryperiod,
  };
}

/** A mode's own regexes after those of the modes it includes, each mode once. */
function resolveRegexes(
  c: Checker,
  name: string,
  declared: ReadonlyMap<string, RawMode>,
  seen: readonly string[],
): string[] {
  const mode = declared.get(name);
  if (mode === undefined) return [];
  if (seen.includes(name))
    return c.fail(['modes', name, 'include'], 'modes include each other') ?? [];
  const included = mode.include.flatMap((other) => {
    if (!declared.has(other) && other !== 'normal')
      c.fail(['modes', name, 'include'], `unknown mode "${other}"`);
    return resolveRegexes(c, other, declared, [...seen, name]);
  });
  return [...included, ...mode.regex];
}

function readSamples(c: Checker, raw: unknown, modes: ReadonlyMap<string, LibraryMode>): Sample[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return c.fail(['samples'], 'expected a list of samples') ?? [];
  return raw.flatMap((item: unknown, i): Sample[] => {
    const path = ['samples', i];
    const map = c.map(item, path, ['line', 'host', 'mode']);
    if (map === undefined || !isPlainObject(map)) return [];
    const line = required(c, path, map, 'line');
    const mode = map['mode'] === undefined ? 'normal' : c.string(map['mode'], [...path, 'mode']);
    if (mode !== undefined && !modes.has(mode)) c.fail([...path, 'mode'], `unknown mode "${mode}"`);
    const host = map['host'] === undefined ? undefined : c.string(map['host'], [...path, 'host']);
    return line === undefined || mode === undefined ? [] : [{ line, mode, host }];
  });
}
