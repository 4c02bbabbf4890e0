// Filters of type "struct": a line is a JSON object, and each configured field (a dotted
// path) must match its regex. Receives the filter's raw options; sends a StructMatcher that
// parses a line and captures the patterns found in its fields.

import { type Checker, isPlainObject, type Path } from './check.js';
import { type CompiledRegex, compileRegex } from './matcher.js';
import type { Pattern } from './pattern.js';

export interface StructMatcher {
  /** The options as written, for `test-config`. */
  readonly options: {
    readonly lang: 'json';
    readonly fields: Readonly<Record<string, { regex: string }>>;
  };
  /** One regex per field, in the order the fields are written. */
  readonly regexes: readonly CompiledRegex[];
  /** Every pattern captured by the fields, in order. */
  readonly patterns: readonly Pattern[];
  match(line: string): string[] | undefined;
}

export function buildStruct(
  c: Checker,
  path: Path,
  raw: unknown,
  declared: ReadonlyMap<string, Pattern>,
): StructMatcher | undefined {
  if (raw === undefined)
    return c.fail(
      path.slice(0, -1),
      'missing key "options": a filter of type "struct" needs options.fields',
    );
  const options = c.map(raw, path, ['lang', 'fields']);
  if (options === undefined) return undefined;
  const lang =
    options['lang'] === undefined
      ? 'json'
      : c.oneOf(options['lang'], [...path, 'lang'], ['json'] as const);
  if (options['fields'] === undefined) return c.fail(path, 'missing key "fields"');
  const entries = c.entries(options['fields'], [...path, 'fields'], 'fields');
  if (entries === undefined) return undefined;
  if (entries.length === 0) return c.fail([...path, 'fields'], 'at least one field is needed');
  const fields: Record<string, { regex: string }> = {};
  const regexes: CompiledRegex[] = [];
  for (const [field, value] of entries) {
    const fieldPath = [...path, 'fields', field];
    if (field.split('.').includes('')) {
      c.fail(fieldPath, 'a field is a name, or a dotted path such as "client.ip"', 'key');
      continue;
    }
    const map = c.map(value, fieldPath, ['regex']);
    const source =
      map === undefined
        ? undefined
        : map['regex'] === undefined
          ? c.fail(fieldPath, 'missing key "regex"')
          : c.string(map['regex'], [...fieldPath, 'regex']);
    const compiled =
      source === undefined ? undefined : compileRegex(c, [...fieldPath, 'regex'], source, declared);
    if (source !== undefined && compiled !== undefined) {
      fields[field] = { regex: source };
      regexes.push(compiled);
    }
  }
  if (lang === undefined || regexes.length !== entries.length) return undefined;
  const patterns = regexes.flatMap((r) => r.patterns);
  const twice = patterns.find((p, i) => patterns.indexOf(p) !== i);
  if (twice !== undefined)
    return c.fail(
      [...path, 'fields'],
      `<${twice.name}> is captured by two fields: each pattern at most once`,
    );
  const keys = Object.keys(fields).map((f) => f.split('.'));
  return Object.freeze({
    options: { lang, fields },
    regexes,
    patterns,
    match: (line: string) => matchStruct(line, keys, regexes),
  });
}

function matchStruct(
  line: string,
  keys: readonly (readonly string[])[],
  regexes: readonly CompiledRegex[],
): string[] | undefined {
  const object = parseObject(line);
  if (object === undefined) return undefined;
  const values: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const field = fieldText(object, keys[i]!);
    if (field === undefined) return undefined;
    const regex = regexes[i]!;
    const captured = regex.exec(field);
    if (captured === undefined) return undefined;
    for (let j = 0; j < captured.length; j++) {
      const valued = regex.patterns[j]!.value(captured[j]!);
      if (valued === undefined || !('value' in valued)) return undefined;
      values.push(valued.value);
    }
  }
  return values;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const start = line.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(start);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The text of a nested field; numbers and booleans as JSON writes them; undefined for other kinds. */
function fieldText(object: Record<string, unknown>, key: readonly string[]): string | undefined {
  let value: unknown = object;
  for (const part of key) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
