// A filter regex, compiled: `<pattern>`s substituted, translated for the engines, and the
// line length up to which the fast backtracking engine is safe for it. Receives the regex
// source and the declared patterns; sends a CompiledRegex whose `exec` returns the texts
// captured for each pattern, or undefined.

import { RegexError } from '../lib/errors.js';
import { blankPartialAddresses } from '../lib/ip.js';
import { type Cost, type Engine, type RegexNode, regex } from '../lib/regex/index.js';
import { closest } from '../lib/suggest.js';
import type { Checker, Path } from './check.js';
import type { Pattern } from './pattern.js';

export interface CompiledRegex {
  readonly source: string;
  /** The patterns captured, in capture order. */
  readonly patterns: readonly Pattern[];
  readonly cost: Cost;
  readonly engine: Engine;
  /** Captured texts in `patterns` order, or undefined when the line does not match. */
  exec(line: string): string[] | undefined;
}

/** What a configuration's regex knows beyond its patterns (test-regex's regex knows none of it). */
export interface RegexScope {
  /** Patterns declared but broken: a regex that uses one is checked for its syntax only. */
  readonly broken: ReadonlySet<string>;
  /** Whether the configuration declares no pattern at all: a `<name>` is then an error. */
  readonly none: boolean;
}

export function compileRegex(
  c: Checker,
  path: Path,
  source: string,
  declared: ReadonlyMap<string, Pattern>,
  scope: RegexScope = { broken: new Set(), none: false },
): CompiledRegex | undefined {
  const { broken } = scope;
  const known = new Set([...declared.keys(), ...broken]);
  let tree: RegexNode;
  try {
    tree = regex.parse(source, known);
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    return c.fail(path, `invalid regex: ${error.message} (at character ${error.offset + 1})`);
  }
  if (!checkReferences(c, path, source, { known, none: scope.none })) return undefined;
  const refs = regex.patternRefs(tree);
  const names = refs.map((r) => r.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined)
    return c.fail(path, `<${twice}> appears twice: a regex captures each pattern at most once`);
  if (names.some((name) => broken.has(name))) return undefined;
  const substituted = regex.substitute(tree, (ref) => declared.get(ref.name)!.node);
  const captured = names.map((name) => declared.get(name)!);
  let engine: Engine;
  try {
    engine = regex.compile(substituted, {
      verify: verifierOf(captured),
      prepare: blankPartialAddresses,
    });
  } catch (error) {
    // Limits of the engines (RE2's repetition counts), found once the patterns are substituted.
    if (!(error instanceof RegexError)) throw error;
    return c.fail(path, `invalid regex: ${error.message}`);
  }
  const patterns = engine.captures.map((name) => declared.get(name)!);
  return Object.freeze({
    source,
    patterns,
    cost: engine.cost,
    engine,
    exec: (line: string) => engine.exec(line),
  });
}

/**
 * A `<name>` that names no pattern is literal text, which is rarely what was meant: a
 * warning with the closest pattern, or an error when the configuration declares none.
 */
function checkReferences(
  c: Checker,
  path: Path,
  source: string,
  o: { known: ReadonlySet<string>; none: boolean },
): boolean {
  const { known } = o;
  const unknown = [
    ...new Set([...source.matchAll(/(?<!\(\?P?)<(\w+)>/g)].map((m) => m[1]!)),
  ].filter((name) => !known.has(name));
  if (unknown.length === 0) return true;
  if (o.none) {
    for (const name of unknown) {
      c.fail(
        path,
        `<${name}> names no pattern: this configuration declares none; declare it under "patterns" (for an address: patterns: {${name}: {type: ip}})`,
      );
    }
    return false;
  }
  if (known.size === 0) return true;
  for (const name of unknown) {
    const near = closest(name, [...known]);
    const hint =
      near === undefined ? ` (patterns: ${[...known].join(', ')})` : `; did you mean <${near}>?`;
    c.warn(path, `<${name}> names no pattern, so it matches the text "<${name}>" itself${hint}`);
  }
  return true;
}

/**
 * The checks that the slower linear engine cannot express as look-arounds: an IP value
 * must not touch another address character (see IP_BOUNDARY).
 */
function verifierOf(patterns: readonly Pattern[]) {
  const checks = patterns.map((p) => p.boundary);
  if (checks.every((check) => check === undefined)) return undefined;
  return (line: string, indices: readonly (readonly [number, number])[]): number =>
    checks.findIndex(
      (check, i) => check !== undefined && !check(line, indices[i]![0], indices[i]![1]),
    );
}
