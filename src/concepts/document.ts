// A configuration file once read: its value and a way to point back into its text. Receives
// nothing; the format readers build documents and every later stage uses them to place
// its messages ("riposte.yml:12:7"). A document's value is plain data: maps without a
// prototype (a "__proto__" key stays a key), lists and scalars, at most MAX_DEPTH deep.

export type Key = string | number;

export interface Document {
  /** The file as the user should read it in a message: relative to the working directory. */
  readonly file: string;
  readonly value: unknown;
  /** "file:line:col" of the key (or its value) at `path`, or of its nearest ancestor; "file" alone when the format keeps no positions. */
  locate(path: readonly Key[], what: 'key' | 'value'): string;
  /** A message about this document with what it read as data (Jsonnet's importstr) masked. */
  redact(message: string): string;
}

/** A configuration file, or a Jsonnet source it imports, is refused past this size. */
export const MAX_SOURCE = 16 * 1024 * 1024;

/**
 * How deeply maps and lists may nest. A configuration needs about ten levels; the bound
 * keeps every recursive walk of a value (merging, checking, printing) far from the end of
 * the stack, and is checked before any of them.
 */
export const MAX_DEPTH = 64;

export const TOO_DEEP = `more than ${MAX_DEPTH} levels of nesting, which no configuration needs`;

/** How many values (maps, lists, scalars) a document may hold: a bound on every later walk. */
export const MAX_VALUES = 1_000_000;

export const TOO_MANY = `more than ${MAX_VALUES} values, which no configuration needs`;

/**
 * Where and why a value breaks the bounds above (nested deeper than MAX_DEPTH, more than
 * MAX_VALUES values), or undefined. Iterative: it walks what no recursion could.
 */
export function shapeError(value: unknown): { path: Key[]; reason: string } | undefined {
  const stack: { value: unknown; path: Key[] }[] = [{ value, path: [] }];
  let values = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (++values > MAX_VALUES) return { path: next.path, reason: TOO_MANY };
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.path.length >= MAX_DEPTH) return { path: next.path, reason: TOO_DEEP };
    const { path } = next;
    const entries: [Key, unknown][] = Array.isArray(next.value)
      ? [...next.value.entries()]
      : Object.entries(next.value);
    for (const [key, item] of entries) stack.push({ value: item, path: [...path, key] });
  }
  return undefined;
}

/**
 * A copy whose maps have no prototype, of a value shapeError() accepted; a value shared by
 * several parents (a YAML alias) is copied once and stays shared.
 */
export function plainCopy(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const list: unknown[] = [];
    copies.set(value, list);
    for (const item of value) list.push(plainCopy(item, copies));
    return list;
  }
  const map: Record<string, unknown> = Object.create(null);
  copies.set(value, map);
  for (const [key, item] of Object.entries(value)) map[key] = plainCopy(item, copies);
  return map;
}

/** A key longer than this is shown by its start in messages: a key may be anything. */
const SHOWN_KEY = 40;

/** `streams.ssh.filters.failedlogin.regex[2]`, for messages. */
export function keyPath(path: readonly Key[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else {
      const shown = key.length > SHOWN_KEY ? `${key.slice(0, SHOWN_KEY)}…` : key;
      text += text === '' ? shown : `.${shown}`;
    }
  }
  return text;
}
