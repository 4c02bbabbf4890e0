// Owns arithmetic on sets of code points kept as sorted, disjoint, non-adjacent ranges.
// Receives ranges from the class resolver and the Unicode tables built at run time.
// Sends normalised range lists back; surrogates are never members (Rust has no such chars).

export type Range = readonly [from: number, to: number];
export type CharSet = readonly Range[];

export const MAX_CODE_POINT = 0x10ffff;

export const EMPTY_SET: CharSet = [];
export const ANY_SET: CharSet = normalise([[0, MAX_CODE_POINT]]);

/** Sorts, merges overlapping or adjacent ranges and removes surrogates. */
export function normalise(ranges: readonly Range[]): CharSet {
  // Most inputs are already in order (results of the other operations): no need to sort them.
  const sorted = inOrder(ranges) ? ranges : [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  if (!merged.some(([from, to]) => from <= 0xdfff && to >= 0xd800)) return merged;
  return merged.flatMap(([from, to]) => withoutSurrogates(from, to));
}

function inOrder(ranges: readonly Range[]): boolean {
  for (let i = 1; i < ranges.length; i++) if (ranges[i - 1]![0] > ranges[i]![0]) return false;
  return true;
}

function withoutSurrogates(from: number, to: number): Range[] {
  if (to < 0xd800 || from > 0xdfff) return [[from, to]];
  const parts: Range[] = [];
  if (from < 0xd800) parts.push([from, 0xd7ff]);
  if (to > 0xdfff) parts.push([0xe000, to]);
  return parts;
}

export function union(a: CharSet, b: CharSet): CharSet {
  const merged: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]![0] <= b[j]![0])) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return normalise(merged);
}

/** Everything but `set`, which is normalised (as every CharSet is); surrogates stay out. */
export function complement(set: CharSet): CharSet {
  const result: Range[] = [];
  let next = 0;
  for (const [from, to] of set) {
    if (from > next) result.push([next, from - 1]);
    next = to + 1;
  }
  if (next <= MAX_CODE_POINT) result.push([next, MAX_CODE_POINT]);
  return normalise(result);
}

export function intersect(a: CharSet, b: CharSet): CharSet {
  const result: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aFrom, aTo] = a[i]!;
    const [bFrom, bTo] = b[j]!;
    const from = Math.max(aFrom, bFrom);
    const to = Math.min(aTo, bTo);
    if (from <= to) result.push([from, to]);
    if (aTo < bTo) i++;
    else j++;
  }
  return result;
}

export function subtract(a: CharSet, b: CharSet): CharSet {
  return intersect(a, complement(b));
}

export function symmetricDifference(a: CharSet, b: CharSet): CharSet {
  return union(subtract(a, b), subtract(b, a));
}

export function overlaps(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aFrom, aTo] = a[i]!;
    const [bFrom, bTo] = b[j]!;
    if (Math.max(aFrom, bFrom) <= Math.min(aTo, bTo)) return true;
    if (aTo < bTo) i++;
    else j++;
  }
  return false;
}

/** Whether every member of `a` is in `b`, without building their difference. */
export function isSubset(a: CharSet, b: CharSet): boolean {
  let j = 0;
  for (const [from, to] of a) {
    while (j < b.length && b[j]![1] < from) j++;
    const range = b[j];
    if (range === undefined || range[0] > from || range[1] < to) return false;
  }
  return true;
}

export function contains(set: CharSet, codePoint: number): boolean {
  let low = 0;
  let high = set.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [from, to] = set[middle]!;
    if (codePoint < from) high = middle - 1;
    else if (codePoint > to) low = middle + 1;
    else return true;
  }
  return false;
}

export function size(set: CharSet): number {
  return set.reduce((total, [from, to]) => total + to - from + 1, 0);
}

export function equals(a: CharSet, b: CharSet): boolean {
  return a.length === b.length && a.every(([from, to], i) => b[i]![0] === from && b[i]![1] === to);
}

export function single(codePoint: number): CharSet {
  return normalise([[codePoint, codePoint]]);
}

/** The only member of a one-code-point set, or null. */
export function soleMember(set: CharSet): number | null {
  const first = set[0];
  return set.length === 1 && first !== undefined && first[0] === first[1] ? first[0] : null;
}
