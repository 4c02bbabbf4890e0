// Owns the small grammars inside groups and repetitions: flag lists, group names, {n,m}.
// Receives a cursor positioned on them from parse.ts.
// Sends the decoded flags, name or bounds, or a RegexError at the offending offset.

import type { Cursor, Flags } from './cursor.js';
import { isWhitespace } from './cursor.js';

/** RE2 refuses larger counts; Rust only bounds the compiled size, so we share RE2's limit. */
export const MAX_REPEAT = 1000;
const FLAG_LETTERS = 'imsUuxR';

/** Parses "flags)" or "flags:" after "(?"; `scoped` tells which of the two it was. */
export function parseFlags(cursor: Cursor, current: Flags, open: number) {
  refuseOtherSyntaxes(cursor, open);
  const flags: Record<keyof Flags, boolean> = { ...current };
  const seen = new Set<string>();
  let negate = false;
  let dangling: number | null = null;
  while (cursor.char !== ':' && cursor.char !== ')') {
    const char = cursor.char;
    if (char === '-') {
      if (negate) cursor.fail('flag negation "-" is repeated');
      negate = true;
      dangling = cursor.pos;
    } else {
      if (!FLAG_LETTERS.includes(char)) cursor.fail(`unrecognized flag "${char}"`);
      if (seen.has(char)) cursor.fail(`duplicate flag "${char}"`);
      seen.add(char);
      flags[char as keyof Flags] = !negate;
      dangling = null;
    }
    if (!cursor.bump()) cursor.fail('unclosed group', open);
  }
  if (dangling !== null) cursor.fail('flag negation "-" is followed by no flag', dangling);
  const scoped = cursor.char === ':';
  if (!scoped && seen.size === 0) cursor.fail('empty flag group "(?)"', open);
  cursor.bump();
  return { flags: flags as Flags, scoped };
}

/** Gives the syntaxes of other engines a clearer refusal than "unrecognized flag". */
function refuseOtherSyntaxes(cursor: Cursor, open: number): void {
  const rest = cursor.source.slice(cursor.pos);
  if (rest.startsWith('>')) {
    cursor.fail('atomic groups are not supported (the Rust regex syntax has none)', open);
  }
  if (rest.startsWith('P=') || rest.startsWith('P>')) {
    cursor.fail('backreferences are not supported (the Rust regex syntax has none)', open);
  }
}

/** Parses "name>" after "(?P<" or "(?<", with Rust's rules for the characters allowed. */
export function parseGroupName(cursor: Cursor): string {
  const start = cursor.pos;
  while (!cursor.eof && cursor.char !== '>') {
    const allowed = cursor.pos === start ? /^[_\p{Alphabetic}]$/u : /^[_.[\]\p{Alphabetic}\p{N}]$/u;
    if (!allowed.test(cursor.char)) cursor.fail(`invalid character "${cursor.char}" in group name`);
    cursor.bump();
  }
  if (cursor.eof) cursor.fail('unclosed group name', start);
  const name = cursor.source.slice(start, cursor.pos);
  if (name === '') cursor.fail('empty group name', start);
  cursor.bump();
  return name;
}

export interface Repetition {
  readonly min: number;
  readonly max: number;
  readonly lazy: boolean;
}

/** Parses "?", "*", "+" or "{…}", each optionally followed by "?" for laziness. */
export function parseRepetition(cursor: Cursor): Repetition {
  const char = cursor.char;
  if (char === '{') return parseCounted(cursor);
  const lazy = cursor.bump() && cursor.char === '?';
  if (lazy) cursor.bump();
  return { min: char === '+' ? 1 : 0, max: char === '?' ? 1 : Number.POSITIVE_INFINITY, lazy };
}

function parseCounted(cursor: Cursor): Repetition {
  const start = cursor.pos;
  const unclosed = () => cursor.fail('unclosed counted repetition', start);
  if (!cursor.bumpAndSpace()) unclosed();
  const first = parseDecimal(cursor);
  if (cursor.eof) unclosed();
  const min = first;
  let max = first;
  if (cursor.char === ',') {
    if (!cursor.bumpAndSpace()) unclosed();
    max = cursor.is('}') ? Number.POSITIVE_INFINITY : parseDecimal(cursor);
  }
  if (Number.isNaN(min) || Number.isNaN(max))
    cursor.fail('repetition count must be a decimal number');
  if (!cursor.is('}')) unclosed();
  const lazy = cursor.bumpAndSpace() && cursor.char === '?';
  if (lazy) cursor.bump();
  for (const count of [min, max]) {
    if (Number.isFinite(count) && count > MAX_REPEAT) {
      cursor.fail(`repetition count ${count} is above the limit of ${MAX_REPEAT}`, start);
    }
  }
  return { min, max, lazy };
}

/** Rust skips whitespace around the digits even outside verbose mode; NaN when none. */
function parseDecimal(cursor: Cursor): number {
  while (!cursor.eof && isWhitespace(cursor.char)) cursor.bump();
  let digits = '';
  while (!cursor.eof && /[0-9]/.test(cursor.char)) {
    digits += cursor.char;
    cursor.bumpAndSpace();
  }
  while (!cursor.eof && isWhitespace(cursor.char)) cursor.bumpAndSpace();
  return digits === '' ? Number.NaN : Number(digits);
}
