// Owns what both emitters share: the choice of a global "i" flag and character escaping.
// Receives RegexNodes, code points and sets from emit-js.ts and emit-re2.ts.
// Sends decisions and escaped text; it knows nothing of either engine's quirks beyond syntax.

import type { RegexNode } from './ast.js';
import { type CharSet, complement, isSubset, subtract } from './charset.js';
import { isClosedUnderFolding } from './class-set.js';
import { walk } from './emit-tree.js';
import { categorySet, hasCaseVariants } from './unicode-sets.js';

/**
 * True when one "i" flag can stand for the whole regex: something is case-insensitive and
 * nothing that case folding would change is case-sensitive. Otherwise emitters expand or scope.
 */
export function wholeCaseInsensitive(node: RegexNode): boolean {
  let insensitive = false;
  walk(node, (child) => {
    if ((child.type === 'literal' || child.type === 'class') && child.caseInsensitive)
      insensitive = true;
  });
  if (!insensitive) return false;
  let blocked = false;
  walk(node, (child) => {
    if (child.type === 'literal' && !child.caseInsensitive)
      blocked ||= hasCaseVariants(child.codePoint);
    if (child.type === 'class' && !child.caseInsensitive) blocked ||= !isClosedUnderFolding(child);
    // With "iu", V8's \b and RE2's ASCII classes both treat "ſ" and "K" (Kelvin) as word characters.
    if (child.type === 'assertion' && child.ascii) blocked = true;
  });
  return !blocked;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const NAMED_CONTROLS: ReadonlyMap<number, string> = new Map([
  [9, '\\t'],
  [10, '\\n'],
  [11, '\\v'],
  [12, '\\f'],
  [13, '\\r'],
]);

export type HexStyle = 'javascript' | 're2';

/** Text for one code point: itself when printable and not special, an escape otherwise. */
export function escapeCodePoint(cp: number, special: string, style: HexStyle, raw = true): string {
  const char = String.fromCodePoint(cp);
  if (special.includes(char)) return `\\${char}`;
  const named = NAMED_CONTROLS.get(cp);
  if (named !== undefined) return named;
  if (PRINTABLE.test(char) && (raw || cp < 0x80)) return char;
  if (style === 're2') return `\\x{${hex(cp)}}`;
  if (cp < 0x100) return `\\x${hex(cp).padStart(2, '0')}`;
  return cp < 0x10000 ? `\\u${hex(cp).padStart(4, '0')}` : `\\u{${hex(cp)}}`;
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase();
}

/** The inside of a bracket for `set`: "a-z", "ab", "a"; non-ASCII is escaped for legibility. */
export function rangesText(set: CharSet, style: HexStyle): string {
  const one = (cp: number) => escapeCodePoint(cp, '\\]^-[', style, false);
  return set
    .map(([from, to]) => {
      if (from === to) return one(from);
      return to === from + 1 ? one(from) + one(to) : `${one(from)}-${one(to)}`;
    })
    .join('');
}

/** Categories tried, larger first, when spelling a computed set with `\p{…}`. */
export const COVER_CATEGORIES =
  'L M N P S Z Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Co'.split(
    ' ',
  );

/**
 * The shortest bracket contents for an exact set: its ranges, or the general categories it
 * wholly contains plus the ranges left over, or the same for its complement (then negated).
 */
export function setText(set: CharSet, style: HexStyle): { negated: boolean; inside: string } {
  const options = [set, complement(set)].flatMap((part, i) => {
    const negated = i === 1;
    const plain = { negated, inside: rangesText(part, style) };
    const { codes, rest } = cover(part);
    if (codes.length === 0) return [plain];
    const spelled = codes.map((code) => `\\p{${code}}`).join('');
    return [plain, { negated, inside: rangesText(rest, style) + spelled }];
  });
  return options.reduce((a, b) => (b.inside.length < a.inside.length ? b : a));
}

function cover(set: CharSet): { codes: string[]; rest: CharSet } {
  const codes: string[] = [];
  let rest = set;
  for (const code of COVER_CATEGORIES) {
    const members = categorySet(code);
    if (members.length === 0 || codes.includes(code[0]!)) continue;
    if (isSubset(members, set)) {
      codes.push(code);
      rest = subtract(rest, members);
    }
  }
  return { codes, rest };
}
