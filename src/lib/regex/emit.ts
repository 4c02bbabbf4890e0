// Owns the public emitters: a RegexNode becomes V8 or RE2 source, flags and capture names.
// Receives trees from parse.ts, usually with the caller's capture nodes substituted in.
// Sends `new RegExp(source, flags)` / `new RE2(source, flags)` arguments, or a RegexError.

import { RegexError } from '../errors.js';
import { children, matchesEmpty, type RegexNode } from './ast.js';
import { wholeCaseInsensitive } from './emit-common.js';
import { JavaScriptDialect } from './emit-js.js';
import { Re2Dialect } from './emit-re2.js';
import { TreeEmitter } from './emit-tree.js';

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

/**
 * For `new RE2(source, flags)` of the `re2` package. With `resolve: false`, only checks that
 * RE2 can take the regex (classes needing Unicode tables are not spelled out, and the source
 * is not for compiling). Look-arounds are dropped, and
 * \b{start}-like assertions loosened, both counted in `droppedLooks`: the caller must
 * then confirm RE2's matches another way.
 */
export function toRe2(
  node: RegexNode,
  options: { resolve?: boolean } = {},
): Emitted & { readonly droppedLooks: number } {
  checkRepeatProduct(node);
  const globalI = wholeCaseInsensitive(node);
  const dialect = new Re2Dialect(
    globalI,
    (message) => {
      throw new RegexError(message, 0);
    },
    options.resolve ?? true,
  );
  const emitter = new TreeEmitter(dialect);
  const source = emitter.emit(node).source;
  return {
    source,
    flags: globalI ? 'iu' : 'u',
    captures: emitter.captures,
    droppedLooks: dialect.droppedLooks,
  };
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
  const inner = Math.max(1, ...children(node).map(repeatProduct));
  return node.type === 'repeat' ? inner * countedWeight(node.min, node.max) : inner;
}

/** RE2 counts {n,m} as m (or n when unbounded); *, + and ? count for nothing. */
function countedWeight(min: number, max: number): number {
  return Math.max(1, max === Number.POSITIVE_INFINITY ? min : max);
}
