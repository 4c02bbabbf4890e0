// Owns the marks that let RE2 decide Rust's word assertions: RE2's \b is ASCII-only and it has
// no \b{start}, so each character c of a line is searched as "m c m", m telling what c is.
// Receives trees (to choose a marking) and lines; sends marked lines and positions back.

import type { AssertionKind, RegexNode } from './ast.js';
import { type CharSet, contains } from './charset.js';
import { asciiWordClass, resolveClass, unicodeWordClass } from './class-set.js';
import { walk } from './emit-tree.js';

/**
 * Between the marks of two neighbours, RE2's own tests read what Rust's assertions ask.
 * `boundaries`: a word character is marked "a", "\n" by "\n", anything else "!": there RE2's
 * \b and \B are Rust's, and (?m:^) (?m:$) its line anchors. `sides`: non-word characters are
 * all marked "\n", so that (?m:^) says "no word character before" and (?m:$) "none after".
 */
export type Marking = 'boundaries' | 'sides';

export type MarkPlan =
  | { readonly kind: 'plain' }
  | { readonly kind: 'marked'; readonly marking: Marking; readonly ascii: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

/** The marks of one marking, as an RE2 class. */
export const MARK_CLASS: Readonly<Record<Marking, string>> = {
  boundaries: '[\\n!a]',
  sides: '[\\na]',
};

const SIDES: ReadonlySet<AssertionKind> = new Set([
  'wordStart',
  'wordEnd',
  'wordStartHalf',
  'wordEndHalf',
]);
const WORD: ReadonlySet<AssertionKind> = new Set([...SIDES, 'wordBoundary', 'notWordBoundary']);

/** How RE2 must see a tree's lines: as they are, marked, or not at all. */
export function planMarks(node: RegexNode): MarkPlan {
  const flavours = new Set<boolean>();
  let sides = false;
  let lineAnchors = false;
  walk(node, (child) => {
    if (child.type !== 'assertion') return;
    if (WORD.has(child.kind)) flavours.add(child.ascii);
    sides ||= SIDES.has(child.kind);
    lineAnchors ||= child.kind === 'startLine' || child.kind === 'endLine';
  });
  if (flavours.size > 1) {
    return refused('Unicode and ASCII-only (?-u) word boundaries in one regex');
  }
  if (sides && lineAnchors) {
    return refused('\\b{start}-like word assertions together with (?m) line anchors');
  }
  const ascii = flavours.has(true);
  // RE2's own \b and \B are Rust's ASCII ones.
  if (flavours.size === 0 || (ascii && !sides)) return { kind: 'plain' };
  return { kind: 'marked', marking: sides ? 'sides' : 'boundaries', ascii };
}

function refused(what: string): MarkPlan {
  return { kind: 'refused', reason: `${what} cannot be expressed in RE2` };
}

/**
 * `text` with each character c written "m c m", m the mark of the same character of
 * `original` (the line itself, of which `text` is a blanked copy of the same length).
 */
export function markLine(
  text: string,
  original: string,
  plan: { readonly marking: Marking; readonly ascii: boolean },
): string {
  const isWord = wordTest(plan.ascii);
  const other = plan.marking === 'sides' ? NEWLINE : BANG;
  const out = new Uint16Array(text.length * 3);
  let o = 0;
  for (let i = 0; i < text.length; ) {
    const cp = original.codePointAt(i)!;
    const mark = isWord(cp) ? WORD_MARK : cp === NEWLINE ? NEWLINE : other;
    out[o++] = mark;
    out[o++] = text.charCodeAt(i++);
    if (cp > 0xffff) out[o++] = text.charCodeAt(i++);
    out[o++] = mark;
  }
  return Buffer.from(out.buffer, 0, o * 2).toString('utf16le');
}

const WORD_MARK = 0x61;
const NEWLINE = 0x0a;
const BANG = 0x21;

/**
 * The first position between two characters at or after `markedIndex` of the marked line:
 * its index there and in the line. A search started elsewhere reads marks as characters.
 */
export function alignedPosition(
  line: string,
  markedIndex: number,
): { readonly marked: number; readonly original: number } {
  let marked = 0;
  let i = 0;
  while (marked < markedIndex && i < line.length) {
    const width = line.codePointAt(i)! > 0xffff ? 2 : 1;
    marked += width + 2;
    i += width;
  }
  return { marked, original: i };
}

let asciiWord: ((cp: number) => boolean) | undefined;
let unicodeWord: ((cp: number) => boolean) | undefined;

/** Word characters by table: a line is marked a character at a time. */
function wordTest(ascii: boolean): (cp: number) => boolean {
  if (ascii) {
    asciiWord ??= tableTest(resolveClass(asciiWordClass()));
    return asciiWord;
  }
  unicodeWord ??= tableTest(resolveClass(unicodeWordClass()));
  return unicodeWord;
}

function tableTest(set: CharSet): (cp: number) => boolean {
  const bmp = new Uint8Array(0x10000);
  for (const [from, to] of set) if (from <= 0xffff) bmp.fill(1, from, Math.min(to, 0xffff) + 1);
  return (cp) => (cp <= 0xffff ? bmp[cp] === 1 : contains(set, cp));
}
