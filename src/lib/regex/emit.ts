// Owns the public emitters: a RegexNode becomes V8 or RE2 source, flags and capture names.
// Receives trees from parse.ts, usually with the caller's capture nodes substituted in.
// Sends `new RegExp(source, flags)` / `new RE2(source, flags)` arguments, or a RegexError.

import { RegexError } from '../errors.js';
import { children, matchesEmpty, type RegexNode } from './ast.js';
import { wholeCaseInsensitive } from './emit-common.js';
import { JavaScriptDialect } from './emit-js.js';
import { Re2Dialect } from './emit-re2.js';
import { TreeEmitter } from './emit-tree.js';
import { MARK_CLASS, type Marking, planMarks } from './word-marks.js';

export interface Emitted {
  readonly source: string;
  readonly flags: string;
  /** Capture names in group order, group 1 first. */
  readonly captures: readonly string[];
}

/**
 * V8 tries a match between the two halves of a surrogate pair, where every character test
 * fails but a negative look-around holds: only an empty match can start there. Rust's
 * positions are between characters, so a regex that can match empty first checks that a
 * whole character, or the end, follows.
 */
const NOT_INSIDE_A_PAIR = '(?=[^]|$)';

/** For `new RegExp(source, flags)` in Node 20: the "u" flag, plus "i" when it covers all. */
export function toJavaScript(node: RegexNode): Emitted {
  const globalI = wholeCaseInsensitive(node);
  const emitter = new TreeEmitter(new JavaScriptDialect(globalI));
  const fragment = emitter.emit(node);
  const source = matchesEmpty(node)
    ? `${NOT_INSIDE_A_PAIR}${fragment.kind === 'alternation' ? `(?:${fragment.source})` : fragment.source}`
    : fragment.source;
  return { source, flags: globalI ? 'iu' : 'u', captures: emitter.captures };
}

export interface Re2Emitted extends Emitted {
  /** Look-arounds dropped: the caller must confirm RE2's matches another way. */
  readonly droppedLooks: number;
  /** Set when the source is for the line marked so (`markLine()`), not for the line itself. */
  readonly marks: {
    readonly marking: Marking;
    readonly ascii: boolean;
    /** For a sticky search from a position between two characters: the first match after it. */
    readonly alignedSource: string;
    /** For an ASCII line, unmarked, when RE2's own \b is then Rust's (\b and \B only). */
    readonly asciiSource: string | null;
  } | null;
}

/**
 * For `new RE2(source, flags)` of the `re2` package. With `resolve: false`, only checks that
 * RE2 can take the regex (classes needing Unicode tables are not spelled out, and the source
 * is not for compiling). A regex with Unicode word boundaries or \b{start}-like assertions
 * is for the marked line, a character and its two marks at a time, so that every test falls
 * between two marks; a match that starts elsewhere read marks as characters, and the search
 * must then go on with `alignedSource` from the next position between two characters.
 */
export function toRe2(node: RegexNode, options: { resolve?: boolean } = {}): Re2Emitted {
  checkRepeatProduct(node);
  const plan = planMarks(node);
  if (plan.kind === 'refused') throw new RegexError(plan.reason, 0);
  const globalI = wholeCaseInsensitive(node);
  const resolve = options.resolve ?? true;
  const marking = plan.kind === 'marked' ? plan.marking : null;
  const { emitter, fragment, dialect } = emitRe2(node, { globalI, resolve, marking });
  const emitted = {
    source: fragment.source,
    flags: globalI ? 'iu' : 'u',
    captures: emitter.captures,
    droppedLooks: dialect.droppedLooks,
  };
  if (plan.kind !== 'marked' || marking === null) return { ...emitted, marks: null };
  const mark = MARK_CLASS[marking];
  const body = fragment.kind === 'alternation' ? `(?:${fragment.source})` : fragment.source;
  const alignedSource = `(?:${mark}(?s:.)${mark})*?${body}`;
  const asciiSource =
    marking === 'boundaries' && resolve
      ? emitRe2(node, { globalI, resolve, marking: null }).fragment.source
      : null;
  return { ...emitted, marks: { marking, ascii: plan.ascii, alignedSource, asciiSource } };
}

function emitRe2(
  node: RegexNode,
  options: { globalI: boolean; resolve: boolean; marking: Marking | null },
) {
  const fail = (message: string): never => {
    throw new RegexError(message, 0);
  };
  const dialect = new Re2Dialect({ ...options, fail });
  const emitter = new TreeEmitter(dialect);
  return { emitter, fragment: emitter.emit(node), dialect };
}

const RE2_MAX_REPEAT = 1000;

/** RE2 refuses nested counted repetitions whose counts multiply past 1000, e.g. (a{100}){11}. */
function checkRepeatProduct(node: RegexNode): void {
  const total = repeatProduct(node);
  if (total > RE2_MAX_REPEAT) {
    throw new RegexError(
      `nested counted repetitions multiply to ${total}, above RE2's limit of ${RE2_MAX_REPEAT}`,
      0,
    );
  }
}

function repeatProduct(node: RegexNode): number {
  const inner = children(node).reduce((n, child) => Math.max(n, repeatProduct(child)), 1);
  return node.type === 'repeat' ? inner * countedWeight(node.min, node.max) : inner;
}

/** RE2 counts {n,m} as m (or n when unbounded); *, + and ? count for nothing. */
function countedWeight(min: number, max: number): number {
  return Math.max(1, max === Number.POSITIVE_INFINITY ? min : max);
}
