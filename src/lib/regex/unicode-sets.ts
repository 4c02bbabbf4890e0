// Owns the code point sets of Unicode properties and the simple case-folding orbits.
// Receives property references and code points from the class resolver and the emitters.
// Sends CharSets computed by V8 itself, so that they agree with what `\p{…}` and the `i` flag do.

import type { UnicodeProperty } from './ast.js';
import { type CharSet, contains, normalise, type Range, union } from './charset.js';
import { javaScriptProperty } from './unicode-names.js';

const bySource = new Map<string, CharSet>();

/** Every code point that matches a one-character JavaScript regex (`\p{…}` or a class). */
export function codePointsMatching(source: string): CharSet {
  let set = bySource.get(source);
  if (set === undefined) {
    set = scan(new RegExp(`(?:${source})+`, 'gu'));
    bySource.set(source, set);
  }
  return set;
}

/** General categories come from one scan for all of them; other properties scan alone. */
export function propertySet(property: UnicodeProperty): CharSet {
  if (property.kind !== 'generalCategory') return codePointsMatching(javaScriptProperty(property));
  if (property.value !== 'LC') return categorySet(property.value);
  return union(union(categorySet('Lu'), categorySet('Ll')), categorySet('Lt'));
}

let everything: string | undefined;

/** Kept for a second only: scans come in bursts, and 4 MiB of text is not worth keeping. */
function allCodePoints(): string {
  if (everything === undefined) {
    everything = buildAllCodePoints();
    setTimeout(() => {
      everything = undefined;
    }, 1000).unref();
  }
  return everything;
}

function buildAllCodePoints(): string {
  const chunks: string[] = [];
  for (let start = 0; start <= 0x10ffff; start += 0x1000) {
    const codes: number[] = [];
    for (let cp = start; cp < start + 0x1000; cp++) if (cp < 0xd800 || cp > 0xdfff) codes.push(cp);
    chunks.push(String.fromCodePoint(...codes));
  }
  return chunks.join('');
}

/** Each match is a run of consecutive code points, since the text lists them in order. */
function scan(pattern: RegExp): CharSet {
  const ranges: Range[] = [];
  for (const match of allCodePoints().matchAll(pattern)) ranges.push(runRange(match[0]));
  return normalise(ranges);
}

function runRange(run: string): Range {
  const last = run.codePointAt(run.length - 1)!;
  const to = last >= 0xdc00 && last <= 0xdfff ? run.codePointAt(run.length - 2)! : last;
  return [run.codePointAt(0)!, to];
}

const SUBCATEGORIES =
  'Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn';
let categories: ReadonlyMap<string, CharSet> | undefined;

/** The set of a one- or two-letter General_Category; all are found in one scan. */
export function categorySet(code: string): CharSet {
  if (categories === undefined) categories = scanCategories();
  return categories.get(code) ?? [];
}

function scanCategories(): ReadonlyMap<string, CharSet> {
  const codes = SUBCATEGORIES.split(' ');
  const pattern = new RegExp(codes.map((code) => `(\\p{${code}}+)`).join('|'), 'gu');
  const found = new Map<string, Range[]>(codes.map((code) => [code, []]));
  for (const match of allCodePoints().matchAll(pattern)) {
    const index = match.findIndex((group, i) => i > 0 && group !== undefined);
    found.get(codes[index - 1]!)!.push(runRange(match[0]));
  }
  const sets = new Map<string, CharSet>();
  for (const [code, ranges] of found) {
    sets.set(code, normalise(ranges));
    const major = code[0]!;
    sets.set(major, normalise([...(sets.get(major) ?? []), ...ranges]));
  }
  return sets;
}

let orbits: ReadonlyMap<number, readonly number[]> | undefined;

/** The code points equal to `codePoint` under simple case folding, itself included, sorted. */
export function caseOrbit(codePoint: number): readonly number[] {
  return caseOrbits().get(codePoint) ?? [codePoint];
}

export function hasCaseVariants(codePoint: number): boolean {
  return caseOrbits().has(codePoint);
}

/** Adds to `set` every code point that folds like one of its members. */
export function caseFold(set: CharSet): CharSet {
  const added: Range[] = [...set];
  for (const [member, orbit] of caseOrbits()) {
    if (contains(set, member)) for (const cp of orbit) added.push([cp, cp]);
  }
  return normalise(added);
}

/**
 * Candidates are the characters that have or receive a case mapping; V8's own `iu`
 * matching (which is Unicode simple case folding, as in Rust) then groups them.
 */
function caseOrbits(): ReadonlyMap<number, readonly number[]> {
  if (orbits !== undefined) return orbits;
  const source = '[\\p{Cased}\\p{Changes_When_Casemapped}\\p{Changes_When_Casefolded}]';
  const candidates = codePointsMatching(source).flatMap(([from, to]) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i),
  );
  const haystack = String.fromCodePoint(...candidates);
  const map = new Map<number, readonly number[]>();
  for (const cp of candidates) {
    if (map.has(cp)) continue;
    const pattern = new RegExp(`\\u{${cp.toString(16)}}`, 'giu');
    const orbit = Array.from(haystack.matchAll(pattern), (m) => m[0].codePointAt(0)!);
    if (orbit.length > 1) for (const member of orbit) map.set(member, orbit);
  }
  orbits = map;
  return map;
}
