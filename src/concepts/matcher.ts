// A filter regex, compiled: `<pattern>`s substituted, translated for the engines, and the
// line length up to which the fast backtracking engine is safe for it. Receives the regex
// source and the declared patterns; sends a CompiledRegex whose `exec` returns the texts
// captured for each pattern, or undefined.

import { RegexError } from '../lib/errors.js';
import { blankPartialAddresses } from '../lib/ip.js';
import { type Cost, type Engine, type RegexNode, regex } from '../lib/regex/index.js';
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

export function compileRegex(
  c: Checker,
  path: Path,
  source: string,
  declared: ReadonlyMap<string, Pattern>,
): CompiledRegex | undefined {
  let tree: RegexNode;
  try {
    tree = regex.parse(source, new Set(declared.keys()));
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    return c.fail(path, `invalid regex: ${error.message} (at character ${error.offset + 1})`);
  }
  const refs = regex.patternRefs(tree);
  const names = refs.map((r) => r.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined)
    return c.fail(path, `<${twice}> appears twice: a regex captures each pattern at most once`);
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
