// The toolkit every concept uses to read its raw map: type checks that collect, rather than
// throw, each error with its place, so that one run reports every mistake of a config.
// Receives raw values and their key paths; sends typed values or undefined, and records
// ConfigErrors and warnings.

import { parseDuration } from '../lib/duration.js';
import { ConfigError } from '../lib/errors.js';
import { closest } from '../lib/suggest.js';
import type { Key } from './document.js';
import { NOTHING_TO_HIDE, type Redact, redactedPath } from './redact.js';

export type Path = readonly Key[];
export type Locate = (path: Path, what?: 'key' | 'value') => string;

export interface Warning {
  readonly place: string;
  readonly message: string;
}

/**
 * Names that JavaScript objects give a meaning to: refused as user-chosen names, so that no
 * name can reach an object's prototype wherever riposte keys something by it.
 */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

export class Checker {
  readonly errors: ConfigError[] = [];
  readonly warnings: Warning[] = [];
  readonly #locate: Locate;
  readonly #redact: Redact;

  /** `redact` masks what the configuration read as data (see Document.redact). */
  constructor(locate: Locate, redact: Redact = NOTHING_TO_HIDE) {
    this.#locate = locate;
    this.#redact = redact;
  }

  /** Records an error at `path`; returns undefined so that callers can `return c.fail(...)`. */
  fail(path: Path, reason: string, what: 'key' | 'value' = 'value'): undefined {
    const where = path.length === 0 ? '' : `${redactedPath(path, this.#redact)}: `;
    this.errors.push(new ConfigError(this.#locate(path, what), this.#message(where + reason)));
    return undefined;
  }

  warn(path: Path, message: string): void {
    this.warnings.push({
      place: this.#locate(path, 'value'),
      message: this.#message(`${redactedPath(path, this.#redact)}: ${message}`),
    });
  }

  /** Every message quotes values of the configuration: long ones by their start, data never. */
  #message(text: string): string {
    return this.#redact(shortenQuotes(text));
  }

  /** A map whose keys are all in `known`; unknown keys are reported with a suggestion. */
  map(value: unknown, path: Path, known: readonly string[]): Record<string, unknown> | undefined {
    if (!isPlainObject(value)) return this.fail(path, `expected a map, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = closest(key, known);
      const hint = near === undefined ? '' : `, did you mean "${near}"?`;
      this.fail([...path, key], `unknown key${hint}`, 'key');
    }
    return value;
  }

  /** The entries of a map of user-chosen keys (patterns, plugins, struct fields...). */
  entries(value: unknown, path: Path, what: string): [string, unknown][] | undefined {
    if (!isPlainObject(value))
      return this.fail(path, `expected a map of ${what}, got ${describe(value)}`);
    // Reported and still returned, so that their contents are checked too.
    const entries = Object.entries(value);
    for (const [name] of entries) {
      if (RESERVED.has(name))
        this.fail([...path, name], `"${name}" cannot be a name: JavaScript reserves it`, 'key');
    }
    return entries;
  }

  /**
   * A map of user-chosen names (streams, filters...), each a name without `.`. Entries with
   * an invalid name are reported and still returned, so that their contents are checked too.
   */
  names(value: unknown, path: Path, what: string): [string, unknown][] | undefined {
    const entries = this.entries(value, path, what);
    for (const [name] of entries ?? []) {
      if (!/^[^.\s]+$/.test(name)) {
        this.fail([...path, name], 'a name must not be empty nor contain "." or spaces', 'key');
      }
    }
    return entries;
  }

  string(value: unknown, path: Path): string | undefined {
    if (typeof value === 'string') return value;
    return this.fail(path, `expected a string, got ${describe(value)}`);
  }

  boolean(value: unknown, path: Path): boolean | undefined {
    if (typeof value === 'boolean') return value;
    return this.fail(path, `expected true or false, got ${describe(value)}`);
  }

  integer(value: unknown, path: Path, min: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(path, `expected an integer, got ${describe(value)}`);
    }
    if (value < min) return this.fail(path, `must be at least ${min}, got ${value}`);
    return value;
  }

  duration(value: unknown, path: Path): number | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    return typeof ms === 'number' ? ms : this.fail(path, ms.error);
  }

  oneOf<T extends string>(value: unknown, path: Path, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    const list = allowed.map((a) => `"${a}"`).join(', ');
    return this.fail(path, `expected one of ${list}, got ${describe(value)}`);
  }

  stringList(value: unknown, path: Path, options: { nonEmpty: boolean }): string[] | undefined {
    if (!Array.isArray(value))
      return this.fail(path, `expected a list of strings, got ${describe(value)}`);
    if (options.nonEmpty && value.length === 0) return this.fail(path, 'must not be empty');
    const errors = this.errors.length;
    for (const [i, item] of value.entries()) this.string(item, [...path, i]);
    return this.errors.length === errors ? (value as string[]) : undefined;
  }

  /** A command: a non-empty list of strings, run without a shell. */
  argv(value: unknown, path: Path): string[] | undefined {
    if (typeof value === 'string') {
      return this.fail(
        path,
        "expected a list of strings such as ['iptables', '-w', ...], got a string: commands are run without a shell",
      );
    }
    return this.stringList(value, path, { nonEmpty: true });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings longer than this are described by their length: where they came from is unknown (Jsonnet's importstr reads any file). */
const QUOTED = 24;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return value.length > QUOTED
        ? `a string of ${value.length} characters`
        : `the string ${JSON.stringify(value)}`;
    case 'number':
      return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'a map';
    default:
      return typeof value;
  }
}

/** A quoted text in a message ("…") longer than this is cut there. */
const SHOWN = 40;

/**
 * Cuts each double-quoted text of a message after SHOWN characters: messages quote the
 * values they are about (`"${action.to}" is not a stream`), and a value may be a whole
 * file. One pass, no regex: a message may be long.
 */
export function shortenQuotes(message: string): string {
  let out = '';
  let from = 0;
  for (let open = message.indexOf('"'); open >= 0; open = message.indexOf('"', from)) {
    let end = open + 1;
    while (end < message.length && message[end] !== '"') end += message[end] === '\\' ? 2 : 1;
    if (end >= message.length) break;
    const inner = message.slice(open + 1, end);
    out +=
      message.slice(from, open + 1) + (inner.length > SHOWN ? `${inner.slice(0, SHOWN)}…` : inner);
    out += '"';
    from = end + 1;
  }
  return out + message.slice(from);
}
