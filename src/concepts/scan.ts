// Finds the lines of a block that a filter must look at: when every regex of the filter
// contains a literal text, only the lines holding one of those literals can match, and
// they are found by searching the whole block rather than cutting it into lines. Receives
// a block (lines joined by "\n") and the literals; sends the candidate lines in order, each
// with the literals it holds, so that regexes whose literal is absent are not even tried.

import { stripCr } from '../lib/lines.js';

/** A candidate line, a bit mask of the literals (by index) it contains, and where it starts in the block. */
export type Candidate = (line: string, present: number, start: number) => void;

/** Calls `each` with every line of `block` that contains one of `literals` (at most 31), in order. */
export function eachCandidate(block: string, literals: readonly string[], each: Candidate): void {
  const next = literals.map((literal) => block.indexOf(literal));
  for (;;) {
    let at = -1;
    for (const position of next) if (position >= 0 && (at < 0 || position < at)) at = position;
    if (at < 0) return;
    const start = block.lastIndexOf('\n', at) + 1;
    let end = block.indexOf('\n', at);
    if (end < 0) end = block.length;
    let present = 0;
    for (let i = 0; i < next.length; i++) {
      if (next[i]! < 0 || next[i]! >= end) continue;
      present |= 1 << i;
      next[i] = block.indexOf(literals[i]!, end);
    }
    each(stripCr(block.slice(start, end)), present, start);
  }
}

/** Every line of `block`, for filters without literals: every regex may match. */
export function eachLine(block: string, each: Candidate): void {
  let start = 0;
  for (const line of block.split('\n')) {
    each(stripCr(line), -1, start);
    start += line.length + 1;
  }
}

/**
 * What to search a block for, given each regex's literal (null when a regex has none: then
 * every line is a candidate): the distinct literals, none containing another, at most 31,
 * and for each regex the bit of a literal its own contains.
 */
export function literalsOf(
  literals: readonly (string | null)[],
): { search: string[]; bits: number[] } | null {
  if (literals.length === 0 || literals.some((l) => l === null)) return null;
  const unique = [...new Set(literals as string[])];
  // A literal that contains another is redundant: the shorter one finds its lines too.
  const search = unique.filter((l) => !unique.some((other) => other !== l && l.includes(other)));
  if (search.length > 31) return null;
  const bits = (literals as string[]).map((l) => 1 << search.findIndex((s) => l.includes(s)));
  return { search, bits };
}
