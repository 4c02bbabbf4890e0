// What the check of one stream, filter or action knows of the rest of the configuration, so
// that a mistake elsewhere neither hides its own mistakes nor is reported twice. Receives
// the raw configuration and its built patterns; sends a frozen Scope.

import { isPlainObject } from './check.js';
import type { Pattern } from './pattern.js';

export interface Scope {
  /** The patterns that built. */
  readonly patterns: ReadonlyMap<string, Pattern>;
  /** Patterns declared but broken: their own errors say why; references to them are not errors. */
  readonly broken: ReadonlySet<string>;
  /** The names of the streams of type virtual, broken ones included. */
  readonly virtual: ReadonlySet<string>;
  /** Whether the configuration declares no pattern at all (not: declares them wrongly). */
  readonly none: boolean;
}

export function scopeOf(
  patterns: ReadonlyMap<string, Pattern>,
  rawPatterns: unknown,
  rawStreams: unknown,
): Scope {
  const declared = isPlainObject(rawPatterns) ? Object.keys(rawPatterns) : [];
  const broken = new Set(declared.filter((name) => !patterns.has(name)));
  const virtual = new Set(
    Object.entries(isPlainObject(rawStreams) ? rawStreams : {})
      .filter(([, s]) => isPlainObject(s) && s['type'] === 'virtual')
      .map(([name]) => name),
  );
  const none = rawPatterns === undefined || (isPlainObject(rawPatterns) && declared.length === 0);
  return Object.freeze({ patterns, broken, virtual, none });
}

/** Every declared pattern name, broken ones included. */
export function declaredNames(scope: Scope): string[] {
  return [...scope.patterns.keys(), ...scope.broken];
}

/** The declared patterns that `<name>`s of `text` refer to, in order, each once. */
export function referencedNames(text: string, scope: Scope): string[] {
  const names = [...text.matchAll(/(?<!\(\?P?)<(\w+)>/g)].map((m) => m[1]!);
  return [...new Set(names)].filter((n) => scope.patterns.has(n) || scope.broken.has(n));
}
