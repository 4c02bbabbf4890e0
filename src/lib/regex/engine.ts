// Runs a translated regex on lines with a bounded worst case: V8's backtracking engine (fast)
// up to a line length that the regex's cost makes safe, RE2 (linear time, slower to start)
// beyond it, on the line marked for word assertions when RE2 needs it (word-marks.ts).
// Receives a RegexNode with its captures; sends the captured texts of a line.

import { anchorLeadingDotStar, type Cost, requiredLiteral, worstCase } from './analyse.js';
import type { RegexNode } from './ast.js';
import { toJavaScript, toRe2 } from './emit.js';
import { compileRe2 } from './re2.js';
import { alignedPosition, markLine } from './word-marks.js';

export type { Cost };

/**
 * Longest line V8 is trusted with, by polynomial degree of the regex (after a leading ".*" is
 * anchored). From crafted lines (src/lib/regex/measure.ts, README "Regex engines"): degree 2
 * takes about 0.5 ms at 4 KiB and grows to 100 ms at 64 KiB, degree 3 already 19 ms at 1 KiB;
 * RE2 stays near 0.1 ms at 64 KiB. Linear regexes run on V8 whatever the length.
 */
export function v8LineLimit(cost: Cost): number {
  if (cost.kind === 'exponential' || cost.degree > 3) return 0;
  if (cost.degree <= 1) return Number.POSITIVE_INFINITY;
  return cost.degree === 2 ? 4096 : 512;
}

/**
 * Says whether the captures found by RE2 hold what V8's look-arounds would have checked:
 * returns -1 when they do, else the index of the first capture that fails.
 */
export type Verify = (line: string, indices: readonly (readonly [number, number])[]) => number;

export interface Engine {
  readonly cost: Cost;
  /** Capture names in the order `exec` returns their texts. */
  readonly captures: readonly string[];
  /** Lines longer than this go to RE2. */
  readonly v8Limit: number;
  /** A text every match contains, tested with indexOf before any regex runs. */
  readonly literal: string | null;
  exec(line: string): string[] | undefined;
}

/**
 * Turns a long line into the one RE2 searches, same length (captures are read from the
 * original): the caller's way to rule out in advance what `verify` would reject.
 */
export type Prepare = (line: string) => string;

export interface EngineOptions {
  readonly verify?: Verify | undefined;
  readonly prepare?: Prepare | undefined;
  /**
   * Regexes that are not linear always run on RE2, compiled at once: for a regex run on
   * many texts in one go (a `show` selector on every match), where a per-text bound that
   * is safe for one line would add up.
   */
  readonly linearOnly?: boolean | undefined;
  /** One engine for every line, whatever its length: for tests that compare the two. */
  readonly engine?: 'v8' | 're2' | undefined;
}

const ASCII = /^[\x00-\x7f]*$/;
/** How many captures RE2 may find that fail `verify` before the line counts as no match. */
const MAX_RETRIES = 8;
/** Replaces the first character of a rejected capture so that RE2 looks further. */
const MASK = '\u0000';

export function compileEngine(node: RegexNode, options: EngineOptions = {}): Engine {
  const tree = anchorLeadingDotStar(node);
  const cost = worstCase(tree);
  const js = toJavaScript(tree);
  const v8 = new RegExp(js.source, js.flags);
  const safe = forcedLimit(options.engine) ?? v8LineLimit(cost);
  const v8Limit = options.linearOnly === true && Number.isFinite(safe) ? 0 : safe;
  // A linear regex never reaches RE2, which then need not be able to take it.
  const linear = v8Limit === Number.POSITIVE_INFINITY ? undefined : linearSearch(tree, options);
  const literal = requiredLiteral(tree);
  const exec = (line: string): string[] | undefined => {
    if (literal !== null && line.indexOf(literal) < 0) return undefined;
    if (linear === undefined || line.length <= v8Limit) {
      const m = v8.exec(line);
      return m === null ? undefined : captured(m);
    }
    return linear(line);
  };
  return { cost, captures: js.captures, v8Limit, literal, exec };
}

function forcedLimit(engine: 'v8' | 're2' | undefined): number | undefined {
  if (engine === undefined) return undefined;
  return engine === 'v8' ? Number.POSITIVE_INFINITY : -1;
}

/** Captures as [start, end) in the line; an entry is undefined for a capture left out. */
type Indices = readonly (readonly [number, number] | undefined)[];
/** Searches `text`, the line or a blanked copy of it, and answers in the line's positions. */
type Search = (text: string, line: string) => Indices | null;

/** Checked now (a regex RE2 cannot take is a configuration error), compiled at first use. */
function linearSearch(tree: RegexNode, options: EngineOptions) {
  const checked = toRe2(tree, { resolve: false });
  const verify = checked.droppedLooks > 0 ? options.verify : undefined;
  const prepare = verify === undefined ? undefined : options.prepare;
  // Run on many texts at once, a regex is compiled now: a limit of RE2 is then the
  // caller's error, not a failure half-way through.
  let search = options.linearOnly === true ? compileSearch(tree) : undefined;
  return (line: string): string[] | undefined => {
    search ??= compileSearch(tree);
    return execRe2(search, line, verify, prepare);
  };
}

function compileSearch(tree: RegexNode): Search {
  const emitted = toRe2(tree);
  const re2 = compileRe2(emitted.source, `${emitted.flags}d`);
  const marks = emitted.marks;
  if (marks === null) return (text) => indicesOf(re2.exec(text));
  const aligned = compileRe2(marks.alignedSource, `${emitted.flags}yd`);
  const ascii =
    marks.asciiSource === null ? null : compileRe2(marks.asciiSource, `${emitted.flags}d`);
  return (text, line) => {
    // Blanking changes which characters are words: the marks keep the line's own.
    if (ascii !== null && text === line && ASCII.test(line)) return indicesOf(ascii.exec(line));
    const marked = markLine(text, line, marks);
    let m = re2.exec(marked);
    if (m === null) return null;
    const start = alignedPosition(line, m.index);
    if (start.marked !== m.index) {
      // Rare: the match read marks as characters; the first true one starts further on.
      aligned.lastIndex = start.marked;
      m = aligned.exec(marked);
    }
    return indicesOf(m)?.map((pair) => pair && fromMarked(line, pair)) ?? null;
  };
}

function indicesOf(m: RegExpExecArray | null): Indices | null {
  if (m === null) return null;
  return (m as RegExpExecArray & { indices: ([number, number] | undefined)[] }).indices.slice(1);
}

function fromMarked(line: string, [start, end]: readonly [number, number]): [number, number] {
  return [alignedPosition(line, start).original, alignedPosition(line, end).original];
}

function execRe2(
  search: Search,
  line: string,
  verify: Verify | undefined,
  prepare: Prepare | undefined,
): string[] | undefined {
  let text = line;
  for (let attempt = 0; attempt <= MAX_RETRIES; attempt++) {
    const found = search(text, line);
    if (found === null) return undefined;
    if (!found.every((pair) => pair !== undefined)) return undefined;
    const indices = found as readonly (readonly [number, number])[];
    const failing = verify === undefined ? -1 : verify(line, indices);
    if (failing < 0) return indices.map(([start, end]) => line.slice(start, end));
    if (attempt === 0 && prepare !== undefined) {
      // Rarely needed, so done only now: rule out at once every capture verify would reject.
      text = prepare(line);
      continue;
    }
    const start = indices[failing]![0];
    text = text.slice(0, start) + MASK + text.slice(start + 1);
  }
  return undefined;
}

/** The texts of the captures; undefined when one of them took no part in the match. */
function captured(m: RegExpExecArray): string[] | undefined {
  const texts = m.slice(1);
  for (let i = 0; i < texts.length; i++) if (texts[i] === undefined) return undefined;
  return texts as string[];
}
