// Owns the reduction of a regex to the sequences of "tokens" a backtracking engine walks.
// Receives a RegexNode from cost.ts.
// Sends every path through alternations as a list of tokens (what each step can consume)
// and markers (start anchors, checks that can fail), or the reason it is exponential.

import type { AssertionKind, RegexNode, RepeatNode } from './ast.js';
import {
  ANY_SET,
  type CharSet,
  complement,
  normalise,
  overlaps,
  subtract,
  union,
} from './charset.js';
import { needsTables, resolveClass } from './class-set.js';
import { toJavaScript } from './emit.js';
import { printNode } from './print.js';

export interface Token {
  readonly type: 'token';
  readonly chars: CharSet;
  /** Fewest characters it consumes; 0 means it can be skipped. */
  readonly min: number;
  readonly variable: boolean;
  readonly unbounded: boolean;
  /** How many polynomial degrees it adds when it joins a chain (a repeated group may add more). */
  readonly weight: number;
  /** A repeated group, which can fail and backtrack inside itself. */
  readonly compound: boolean;
  readonly text: string;
}

/** `start`: an anchor at the start of the text; `end`: "$"; `check`: a test that can fail. */
export type Step = Token | { readonly type: 'start' | 'end' | 'check' };
export type Path = readonly Step[];

export class Exponential extends Error {}

/** Beyond this many paths, alternations are merged into one coarser token. */
const MAX_PATHS = 64;
/** Bounded repetitions of complex bodies are unrolled up to this many times. */
const MAX_UNROLL = 3;
const NOT_NEWLINE = complement(normalise([[10, 10]]));

export function pathsOf(node: RegexNode): Path[] {
  if (node.type !== 'literal' && node.type !== 'class' && node.type !== 'dot' && isBounded(node)) {
    // A part that can only match a bounded length (an IP address, say) costs a constant per
    // attempt: one coarse token, instead of enumerating its alternatives, is enough.
    const chars = leafChars(node);
    return [[{ ...token(chars, minimum(node), printNode(node)), variable: true }]];
  }
  switch (node.type) {
    case 'literal': {
      const chars = node.caseInsensitive ? foldedChars(node.codePoint) : [];
      return [
        [
          token(
            chars.length > 0 ? normalise(chars) : [[node.codePoint, node.codePoint]],
            1,
            printNode(node),
          ),
        ],
      ];
    }
    case 'class':
      return [[token(classChars(node), 1, printNode(node))]];
    case 'dot':
      return [
        [
          token(
            node.dotAll
              ? ANY_SET
              : node.crlf
                ? complement(
                    normalise([
                      [10, 10],
                      [13, 13],
                    ]),
                  )
                : NOT_NEWLINE,
            1,
            '.',
          ),
        ],
      ];
    case 'assertion':
      return [[{ type: assertionStep(node.kind) }]];
    case 'group':
    case 'capture':
      return pathsOf(node.body);
    case 'patternRef':
      return [[token(ANY_SET, 1, printNode(node))]];
    case 'look':
      return [lookSteps(node.body)];
    case 'empty':
      return [[]];
    case 'concat':
      return concatPaths(node.items.map(pathsOf));
    case 'alternation':
      return alternationPaths(node.alternatives.map(pathsOf));
    case 'repeat':
      return repeatPaths(node);
  }
}

/** A case-insensitive letter for the cost: its ASCII cases, or all non-ASCII (errs high). */
function foldedChars(codePoint: number): [number, number][] {
  const char = String.fromCodePoint(codePoint);
  const cases = [char.toLowerCase(), char.toUpperCase()].map((c) => c.codePointAt(0)!);
  const ascii = [codePoint, ...cases].filter((c) => c < 0x80).map((c): [number, number] => [c, c]);
  return [...ascii, [0x80, 0x10ffff]];
}

/**
 * The characters of a class, for the cost only: exactly when that is cheap, else ASCII
 * exactly and all of the rest. Overlaps can only grow, so the estimate errs high, and the
 * Unicode tables (megabytes, tens of milliseconds) are not built just to analyse `\S+`.
 */
function classChars(node: RegexNode & { type: 'class' }): CharSet {
  if (!needsTables(node)) return resolveClass(node);
  const js = toJavaScript(node);
  const key = `${js.flags}/${js.source}`;
  let chars = sampled.get(key);
  if (chars === undefined) {
    chars = sampleClass(new RegExp(`^(?:${js.source})$`, js.flags));
    sampled.set(key, chars);
  }
  return chars;
}

/** By V8 spelling: a regex repeats the same classes (\w, \S) many times. */
const sampled = new Map<string, CharSet>();

function sampleClass(one: RegExp): CharSet {
  const takes = (cp: number): boolean => one.test(String.fromCodePoint(cp));
  const exact: [number, number][] = [];
  // ASCII and the white space beyond it exactly (so that \s and \w stay apart), and the
  // rest of Unicode wholesale when the class takes any of a few letters and digits.
  for (let c = 0; c < 0x80; c++) if (takes(c)) exact.push([c, c]);
  for (const c of WIDE_SPACE) if (takes(c)) exact.push([c, c]);
  const rest = OTHERS.some(takes)
    ? subtract([[0x80, 0x10ffff]], normalise(WIDE_SPACE.map((c) => [c, c])))
    : [];
  return union(normalise(exact), rest);
}

/** Unicode White_Space beyond ASCII. */
const WIDE_SPACE = [
  0x85,
  0xa0,
  0x1680,
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
];
/** Letters, digits and symbols beyond ASCII: é, α, ٣, 中, ™, 😀. */
const OTHERS = [0xe9, 0x3b1, 0x663, 0x4e2d, 0x2122, 0x1f600];

/** Whether a sub-tree matches at most a bounded number of characters, with no anchor. */
function isBounded(node: RegexNode): boolean {
  switch (node.type) {
    case 'literal':
    case 'class':
    case 'dot':
    case 'patternRef':
    case 'empty':
      return true;
    case 'assertion':
      return false;
    case 'repeat':
      return node.max !== Number.POSITIVE_INFINITY && isBounded(node.body);
    case 'group':
    case 'capture':
    case 'look':
      return isBounded(node.body);
    case 'concat':
      return node.items.every(isBounded);
    case 'alternation':
      return node.alternatives.every(isBounded);
  }
}

/** Every character a sub-tree can consume. */
function leafChars(node: RegexNode): CharSet {
  switch (node.type) {
    case 'literal':
    case 'class':
    case 'dot':
    case 'patternRef': {
      const step = pathsOf(node)[0]![0]!;
      return step.type === 'token' ? step.chars : [];
    }
    case 'look':
    case 'assertion':
    case 'empty':
      return [];
    case 'repeat':
    case 'group':
    case 'capture':
      return leafChars(node.body);
    case 'concat':
      return node.items.reduce((all: CharSet, item) => union(all, leafChars(item)), []);
    case 'alternation':
      return node.alternatives.reduce((all: CharSet, item) => union(all, leafChars(item)), []);
  }
}

/** Fewest characters a bounded sub-tree consumes. */
function minimum(node: RegexNode): number {
  switch (node.type) {
    case 'literal':
    case 'class':
    case 'dot':
    case 'patternRef':
      return 1;
    case 'repeat':
      return node.min * minimum(node.body);
    case 'group':
    case 'capture':
      return minimum(node.body);
    case 'concat':
      return node.items.reduce((n, item) => n + minimum(item), 0);
    case 'alternation':
      return node.alternatives.reduce((n, item) => Math.min(n, minimum(item)), Infinity);
    default:
      return 0;
  }
}

/** Line anchors count as text anchors: riposte's lines hold no "\n". */
function assertionStep(kind: AssertionKind): 'start' | 'end' | 'check' {
  if (kind === 'startText' || kind === 'startLine' || kind === 'startLineCrlf') return 'start';
  if (kind === 'endText' || kind === 'endLine' || kind === 'endLineCrlf') return 'end';
  return 'check';
}

export function token(
  chars: CharSet,
  min: number,
  text: string,
  unbounded = false,
  weight = 1,
): Token {
  return {
    type: 'token',
    chars,
    min,
    variable: unbounded,
    unbounded,
    weight,
    compound: false,
    text,
  };
}

/** A look-around costs a scan at each position it is tried from, if its body can scan. */
function lookSteps(body: RegexNode): Step[] {
  const tokens = pathsOf(body)
    .flat()
    .filter((step): step is Token => step.type === 'token');
  if (!tokens.some((t) => t.unbounded)) return [{ type: 'check' }];
  const chars = tokens.reduce((all: CharSet, t) => union(all, t.chars), []);
  return [{ type: 'check' }, { ...token(chars, 0, printNode(body), true), min: 0 }];
}

function concatPaths(parts: readonly Path[][]): Path[] {
  let result: Step[][] = [[]];
  for (const options of parts) {
    const merged = result.length * options.length > MAX_PATHS ? [merge(options)] : options;
    const only = merged.length === 1 ? merged[0]! : undefined;
    // One way on: extend the paths in place rather than copying them at every item.
    if (only !== undefined) for (const prefix of result) for (const step of only) prefix.push(step);
    else result = result.flatMap((prefix) => merged.map((path) => [...prefix, ...path]));
  }
  return result;
}

function alternationPaths(branches: readonly Path[][]): Path[] {
  const all = branches.flat();
  return all.length > MAX_PATHS ? [merge(all)] : all;
}

/** One token standing for several paths: everything any of them consumes, the worst weight. */
export function merge(paths: readonly Path[]): Path {
  const tokens = paths.flat().filter((step): step is Token => step.type === 'token');
  const chars = tokens.reduce((all: CharSet, t) => union(all, t.chars), []);
  const min = paths.reduce((n, path) => Math.min(n, minLength(path)), Infinity);
  const unbounded = tokens.some((t) => t.unbounded);
  const weight = paths.reduce((n, path) => Math.max(n, innerChain(path)), 1);
  // Compound: what it stands for may fail after a repetition, so it is never free at the end.
  const merged = token(chars, min, 'an alternation', unbounded, weight);
  return [{ ...merged, variable: true, compound: true }];
}

export function minLength(path: Path): number {
  return path.reduce((sum, step) => sum + (step.type === 'token' ? step.min : 0), 0);
}

/** The longest run of unbounded tokens inside a path that can split the same text. */
export function innerChain(path: Path): number {
  const tokens = path.filter((step): step is Token => step.type === 'token');
  return chains(tokens).best.reduce((a, b) => Math.max(a, b), 0);
}

/**
 * Past this many polynomial degrees every regex is treated alike (RE2 at every length), so
 * the search for longer chains stops there: it would only cost time on huge regexes.
 */
export const DEGREE_CAP = 10;

/**
 * For each unbounded token j not in `skip`, the weight of the longest chain ending at it
 * (`best[j]`) and the token before it in that chain (`from[j]`, -1 if none). Two tokens
 * chain when some text fits both and everything required between them, so each one
 * multiplies the ways to split a line that finally fails to match.
 */
export function chains(
  tokens: readonly Token[],
  skip: ReadonlySet<Token> = new Set(),
): { best: number[]; from: number[] } {
  const best = tokens.map(() => 0);
  const from = tokens.map(() => -1);
  const fits = fitsUntil(tokens);
  for (let j = 0; j < tokens.length; j++) {
    const last = tokens[j]!;
    if (!last.unbounded || skip.has(last)) continue;
    let before = 0;
    // Backwards, so that the first required token the last cannot share ends the search.
    for (let i = j - 1; i >= 0; i--) {
      const first = tokens[i]!;
      if (best[i]! > before && overlaps(first.chars, last.chars) && fits(i, j)) {
        before = best[i]!;
        from[j] = i;
      }
      if (first.min > 0 && !overlaps(first.chars, last.chars)) break;
    }
    best[j] = last.weight + before;
    if (best[j]! >= DEGREE_CAP) break;
  }
  return { best, from };
}

/** fits(i, j): every token required between i and j shares a character with token i. */
function fitsUntil(tokens: readonly Token[]): (i: number, j: number) => boolean {
  // The first token after i that does not fit, found by scanning no further than asked.
  const stop = new Map<number, { scanned: number; found: boolean }>();
  return (i, j) => {
    let state = stop.get(i);
    if (state === undefined) {
      state = { scanned: i, found: false };
      stop.set(i, state);
    }
    while (!state.found && state.scanned + 1 < j) {
      const between = tokens[++state.scanned]!;
      state.found = between.min > 0 && !overlaps(between.chars, tokens[i]!.chars);
    }
    return !state.found;
  };
}

function repeatPaths(node: RepeatNode): Path[] {
  const body = pathsOf(node.body);
  const text = printNode(node);
  const single = body.every(
    (path) =>
      path.length === 1 && path[0]!.type === 'token' && !path[0]!.variable && path[0]!.min === 1,
  );
  const chars = body
    .flat()
    .reduce((all: CharSet, step) => (step.type === 'token' ? union(all, step.chars) : all), []);
  const unbounded = node.max === Number.POSITIVE_INFINITY;
  if (single) {
    if ((unbounded || node.max > MAX_UNROLL) && overlappingBranches(body)) {
      throw new Exponential(
        `"${text}" repeats alternatives that can match the same text, so the same text splits in many ways`,
      );
    }
    const repeated = token(chars, node.min > 0 ? 1 : 0, text, unbounded);
    return [[{ ...repeated, variable: node.max > node.min }]];
  }
  const ambiguity = ambiguous(body, node);
  if (unbounded) {
    if (ambiguity !== null) throw new Exponential(ambiguity);
    const weight = body.reduce((n, path) => Math.max(n, innerChain(path)), 1);
    const shortest = body.reduce((n, path) => Math.min(n, minLength(path)), Infinity);
    const min = node.min > 0 ? Math.max(1, shortest) : 0;
    return [[{ ...token(chars, min, text, true, weight), compound: true }]];
  }
  if (!body.flat().some((step) => step.type === 'token' && step.variable)) {
    return [
      [
        {
          ...token(
            chars,
            node.min * body.reduce((n, path) => Math.min(n, minLength(path)), Infinity),
            text,
          ),
          variable: node.max > node.min,
        },
      ],
    ];
  }
  if (node.max > MAX_UNROLL && ambiguity !== null) throw new Exponential(ambiguity);
  const copies = Math.min(node.max, MAX_UNROLL);
  const optional = body.map((path) =>
    path.map((step) => (step.type === 'token' ? { ...step, min: 0 } : step)),
  );
  return concatPaths(
    Array.from({ length: copies }, (_, i) => (i < node.min ? body : [...optional, []])),
  );
}

/** Why repeating `body` lets the engine split the same text in many ways, or null. */
function ambiguous(body: readonly Path[], node: RepeatNode): string | null {
  const text = printNode(node);
  if (body.some((path) => minLength(path) === 0)) {
    return `"${text}" repeats something that can match empty text, so the same text splits in many ways`;
  }
  if (body.some((path) => innerChain(path) >= 2)) {
    return `"${text}" repeats repetitions that can match the same text, so the same text splits in many ways`;
  }
  if (overlappingBranches(body)) {
    return `"${text}" repeats alternatives that can match the same text, so the same text splits in many ways`;
  }
  if (body.some((a) => body.some((b) => slides(a, b)))) {
    return `"${text}" repeats a group whose repetitions can share out the same text in many ways`;
  }
  return null;
}

function overlappingBranches(body: readonly Path[]): boolean {
  return body.some((a, i) => body.some((b, j) => i < j && mayMatchAlike(a, b)));
}

/** Paths of fixed single characters compare position by position; others by their heads. */
function mayMatchAlike(a: Path, b: Path): boolean {
  const fixed = (path: Path) =>
    path.every((step) => step.type !== 'token' || (!step.variable && step.min === 1));
  if (fixed(a) && fixed(b)) {
    const x = a.filter((step): step is Token => step.type === 'token');
    const y = b.filter((step): step is Token => step.type === 'token');
    return x.length === y.length && x.every((t, i) => overlaps(t.chars, y[i]!.chars));
  }
  const heads = headZone(b);
  return headZone(a).some((t) => heads.some((h) => overlaps(t.chars, h.chars)));
}

/** The tokens that can consume the first character of a match of the path. */
function headZone(path: Path): Token[] {
  const zone: Token[] = [];
  for (const step of path) {
    if (step.type !== 'token') continue;
    zone.push(step);
    if (step.min > 0) break;
  }
  return zone;
}

/**
 * True when one repetition's end and the next one's start can trade characters: a
 * variable-length token at one side overlaps what can stand at the other side.
 */
function slides(previous: Path, next: Path): boolean {
  const tail = headZone([...previous].reverse());
  const head = headZone(next);
  return tail.some((t) =>
    head.some((h) => (t.variable || h.variable) && overlaps(t.chars, h.chars)),
  );
}
