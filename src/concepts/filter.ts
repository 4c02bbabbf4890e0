// The filter concept: regexes that find a match in a line, the retry rule that turns matches
// into a trigger, and the actions a trigger runs. Receives a raw filter map; sends a frozen
// Filter whose `match()` is the hot path of the daemon.

import { closest } from '../lib/suggest.js';
import { TIME_FORMATS, type TimeFormat } from '../lib/timestamp.js';
import { type Action, type ActionContext, buildAction } from './action.js';
import { type Checker, describe, isPlainObject, type Path } from './check.js';
import { type CompiledRegex, compileRegex } from './matcher.js';
import type { Pattern } from './pattern.js';
import { eachCandidate, eachLine, literalsOf } from './scan.js';
import { referencedNames, type Scope } from './scope.js';
import { buildStruct, type StructMatcher } from './struct.js';

export const DUPLICATES = ['extend', 'ignore', 'rerun'] as const;
export type Duplicates = (typeof DUPLICATES)[number];
/**
 * The keys of a filter. `use` is expanded before a filter is built (library.ts), which keeps
 * its name as the filter's `use`: the builder reads nothing else from it.
 */
export const KEYS = [
  'regex',
  'retry',
  'retryperiod',
  'duplicates',
  'duplicate',
  'actions',
  'type',
  'options',
  'time',
  'use',
];

/** The outcome of one regex on one line, for `test-regex` and DEBUG logs. */
export type Hit =
  | { readonly regex: number; readonly values: readonly string[] }
  | {
      readonly regex: number;
      readonly ignored: string;
      readonly pattern: string;
      readonly text: string;
    };

export interface Filter {
  readonly stream: string;
  readonly name: string;
  readonly type: 'regex' | 'struct';
  readonly regexes: readonly CompiledRegex[];
  readonly struct: StructMatcher | undefined;
  /** The patterns of a match, in the order of the first regex. */
  readonly patterns: readonly Pattern[];
  readonly retry: number;
  /** Sliding window of `retry`, in ms; 0 when retry is 1. */
  readonly retryperiod: number;
  readonly duplicates: Duplicates;
  /** The format of the time its lines carry; undefined: the time a line is read. */
  readonly time: TimeFormat | undefined;
  /** The library filter its regexes came from (`sshd`), whose log sources the replay reads. */
  readonly use: string | undefined;
  /** In alphabetical order of names: the order a trigger starts them. */
  readonly actions: readonly Action[];
  /** The match of a line (values in `patterns` order), or undefined. */
  match(line: string): readonly string[] | undefined;
  /**
   * Every match of a block of lines, in order, with the line it was found in (a slice of the
   * block: copy it to keep it); only the lines that can match are looked at.
   */
  scan(block: string, each: (values: readonly string[], line: string) => void): void;
  /** Every regex's hit on a line, in order, up to the first that counts. */
  explain(line: string): Hit[];
}

export function buildFilter(
  c: Checker,
  path: Path,
  id: { stream: string; name: string },
  raw: unknown,
  scope: Scope,
): Filter | undefined {
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const type =
    map['type'] === undefined
      ? 'regex'
      : c.oneOf(map['type'], [...path, 'type'], ['regex', 'struct'] as const);
  const found =
    type === 'struct' ? structRegexes(c, path, map, scope) : plainRegexes(c, path, map, scope);
  const retry = map['retry'] === undefined ? 1 : c.integer(map['retry'], [...path, 'retry'], 1);
  const retryperiod = readPeriod(c, path, retry, map);
  const duplicates = readDuplicates(c, path, map);
  const time = readTime(c, [...path, 'time'], map['time']);
  const patterns =
    found === undefined
      ? undefined
      : (found.struct?.patterns.slice() ?? samePatterns(c, path, found.regexes));
  const actions = buildActions(c, [...path, 'actions'], map, {
    ...(patterns === undefined ? guessedContext(map, scope) : exactContext(patterns)),
    scope,
  });
  if (
    found === undefined ||
    patterns === undefined ||
    actions === undefined ||
    type === undefined ||
    retry === undefined ||
    retryperiod === undefined ||
    duplicates === undefined ||
    time === undefined ||
    c.errors.length > errors
  ) {
    return undefined;
  }
  const { regexes, struct } = found;
  const order =
    struct === undefined ? regexes.map((r) => r.patterns.map((p) => patterns.indexOf(p))) : [];
  const match =
    struct === undefined
      ? (line: string) => firstMatch(regexes, order, line)
      : (line: string) => struct.match(line);
  return Object.freeze({
    stream: id.stream,
    name: id.name,
    type,
    regexes,
    struct,
    patterns,
    retry,
    retryperiod,
    duplicates,
    time: time === null ? undefined : time,
    use: typeof map['use'] === 'string' ? map['use'] : undefined,
    actions,
    match,
    scan: scanner(
      regexes,
      order,
      match,
      struct === undefined ? literalsOf(regexes.map((r) => r.engine.literal)) : null,
    ),
    explain: (line: string) => explain(regexes, order, line),
  });
}

function scanner(
  regexes: readonly CompiledRegex[],
  order: readonly (readonly number[])[],
  match: (line: string) => readonly string[] | undefined,
  literals: { search: string[]; bits: number[] } | null,
) {
  return (block: string, each: (values: readonly string[], line: string) => void): void => {
    if (literals === null) {
      eachLine(block, (line) => {
        const values = match(line);
        if (values !== undefined) each(values, line);
      });
      return;
    }
    eachCandidate(block, literals.search, (line, present) => {
      const values = firstMatch(regexes, order, line, present, literals.bits);
      if (values !== undefined) each(values, line);
    });
  };
}

/** The first regex whose captures are all values, none ignored; see behaviour §2.1. */
function firstMatch(
  regexes: readonly CompiledRegex[],
  order: readonly (readonly number[])[],
  line: string,
  present = -1,
  bits: readonly number[] = [],
): string[] | undefined {
  for (let r = 0; r < regexes.length; r++) {
    // A regex whose literal the line lacks cannot match: skipped without running it.
    if (present !== -1 && (present & bits[r]!) === 0) continue;
    const regex = regexes[r]!;
    const captured = regex.exec(line);
    if (captured === undefined) continue;
    const values = valuesOf(regex, order[r]!, captured);
    if (values !== undefined) return values;
  }
  return undefined;
}

function valuesOf(
  regex: CompiledRegex,
  order: readonly number[],
  captured: readonly string[],
): string[] | undefined {
  const values = new Array<string>(captured.length);
  for (let i = 0; i < captured.length; i++) {
    const valued = regex.patterns[i]!.value(captured[i]!);
    if (valued === undefined || !('value' in valued)) return undefined;
    values[order[i]!] = valued.value;
  }
  return values;
}

function explain(
  regexes: readonly CompiledRegex[],
  order: readonly (readonly number[])[],
  line: string,
): Hit[] {
  const hits: Hit[] = [];
  for (const [r, regex] of regexes.entries()) {
    const captured = regex.exec(line);
    if (captured === undefined) continue;
    const refusal = captured
      .map((text, i) => ({
        text,
        pattern: regex.patterns[i]!,
        valued: regex.patterns[i]!.value(text),
      }))
      .find(({ valued }) => valued === undefined || !('value' in valued));
    if (refusal === undefined) {
      hits.push({ regex: r, values: valuesOf(regex, order[r]!, captured)! });
      return hits;
    }
    const ignored =
      refusal.valued === undefined
        ? 'not a valid value'
        : (refusal.valued as { ignoredBy: string }).ignoredBy;
    hits.push({ regex: r, ignored, pattern: refusal.pattern.name, text: refusal.text });
  }
  return hits;
}

function plainRegexes(c: Checker, path: Path, map: Record<string, unknown>, scope: Scope) {
  if (map['options'] !== undefined)
    c.fail([...path, 'options'], 'a filter of type "regex" has no options', 'key');
  if (map['regex'] === undefined) return c.fail(path, 'missing key "regex"');
  const sources = c.stringList(map['regex'], [...path, 'regex'], { nonEmpty: true });
  if (sources === undefined) return undefined;
  const regexes = sources.map((s, i) =>
    compileRegex(c, [...path, 'regex', i], s, scope.patterns, scope),
  );
  return regexes.every((r) => r !== undefined) ? { regexes, struct: undefined } : undefined;
}

function structRegexes(c: Checker, path: Path, map: Record<string, unknown>, scope: Scope) {
  if (map['regex'] !== undefined) {
    return c.fail(
      [...path, 'regex'],
      'a filter of type "struct" takes its regexes in options.fields',
      'key',
    );
  }
  const struct = buildStruct(c, [...path, 'options'], map['options'], scope.patterns);
  return struct === undefined ? undefined : { regexes: struct.regexes, struct };
}

/** Every regex of a filter captures the same patterns: a match is one tuple of values. */
function samePatterns(
  c: Checker,
  path: Path,
  regexes: readonly CompiledRegex[],
): Pattern[] | undefined {
  const first = regexes[0]?.patterns ?? [];
  const key = (ps: readonly Pattern[]) =>
    ps
      .map((p) => p.name)
      .sort()
      .join(', ');
  const expected = key(first) || 'none';
  let same = true;
  for (const [i, regex] of regexes.entries()) {
    const found = key(regex.patterns) || 'none';
    if (found === expected) continue;
    same = false;
    c.fail(
      [...path, 'regex', i],
      `captures the patterns (${found}) but regex[0] captures (${expected}): every regex of a filter must capture the same patterns`,
    );
  }
  return same ? [...first] : undefined;
}

function readPeriod(
  c: Checker,
  path: Path,
  retry: number | undefined,
  map: Record<string, unknown>,
): number | undefined {
  const raw = map['retryperiod'];
  if (raw === undefined) {
    if (retry !== undefined && retry > 1 && !misspelt(map, 'retryperiod'))
      return c.fail(path, `missing key "retryperiod": required when retry is more than 1`);
    return 0;
  }
  const period = c.duration(raw, [...path, 'retryperiod']);
  if (period === 0) return c.fail([...path, 'retryperiod'], 'must be more than 0');
  return retry === 1 ? 0 : period;
}

/** The context of the actions of a filter whose regexes built: its patterns, exactly. */
function exactContext(patterns: readonly Pattern[]) {
  return { patterns, captured: new Set(patterns.map((p) => p.name)), guessed: false };
}

/**
 * The context of the actions of a filter whose regexes did not build, so that its actions
 * are checked all the same: the patterns its regex texts name.
 */
function guessedContext(map: Record<string, unknown>, scope: Scope) {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (isPlainObject(value)) Object.values(value).forEach(collect);
  };
  collect(map['regex']);
  collect(map['options']);
  const names = new Set(texts.flatMap((t) => referencedNames(t, scope)));
  const patterns = [...names].flatMap((n) => scope.patterns.get(n) ?? []);
  // No regex at all (missing, or an unknown library name): what it would capture is unknown.
  return { patterns, captured: texts.length === 0 ? null : names, guessed: true };
}

/** Whether `key` is missing because misspelt: the unknown key is reported already, not twice. */
function misspelt(map: Record<string, unknown>, key: string): boolean {
  return (
    map[key] === undefined &&
    Object.keys(map).some((k) => !KEYS.includes(k) && closest(k, KEYS) === key)
  );
}

function buildActions(
  c: Checker,
  path: Path,
  map: Record<string, unknown>,
  ctx: ActionContext,
): Action[] | undefined {
  if (map['actions'] === undefined)
    return misspelt(map, 'actions')
      ? undefined
      : c.fail(path.slice(0, -1), 'missing key "actions"');
  const entries = c.names(map['actions'], path, 'actions');
  if (entries === undefined) return undefined;
  if (entries.length === 0) return c.fail(path, 'a filter needs at least one action');
  const actions = entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => buildAction(c, [...path, name], name, value, ctx));
  return actions.every((a) => a !== undefined) ? actions : undefined;
}

/** `duplicates`, also read under the singular spelling that some reaction configurations use. */
function readDuplicates(
  c: Checker,
  path: Path,
  map: Record<string, unknown>,
): Duplicates | undefined {
  if (map['duplicate'] !== undefined && map['duplicates'] !== undefined) {
    return c.fail(
      [...path, 'duplicate'],
      'write either "duplicates" or "duplicate", not both',
      'key',
    );
  }
  const key = map['duplicate'] === undefined ? 'duplicates' : 'duplicate';
  return map[key] === undefined ? 'extend' : c.oneOf(map[key], [...path, key], DUPLICATES);
}

/** `time`: a format name, with the closest one for a near miss; null when absent. */
function readTime(c: Checker, path: Path, raw: unknown): TimeFormat | null | undefined {
  if (raw === undefined) return null;
  if (typeof raw === 'string' && (TIME_FORMATS as readonly string[]).includes(raw))
    return raw as TimeFormat;
  const near = typeof raw === 'string' ? closest(raw, TIME_FORMATS) : undefined;
  const list = TIME_FORMATS.map((name) => `"${name}"`).join(', ');
  const hint = near === undefined ? '' : `, did you mean "${near}"?`;
  return c.fail(path, `expected one of ${list}, got ${describe(raw)}${hint}`);
}
