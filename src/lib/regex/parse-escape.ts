// Owns the escape sequences of Rust regex syntax: \x… \u… \p{…} \d \b{start} \< and friends.
// Receives a cursor at a backslash and the flags in force, from parse.ts and parse-class.ts.
// Sends one primitive (literal, class or assertion); the caller decides where it may stand.

import type { AssertionKind, AssertionNode, ClassNode } from './ast.js';
import { type PerlKind, perlClass } from './class-set.js';
import type { Cursor, Flags } from './cursor.js';
import { resolveProperty } from './unicode-names.js';

export type Primitive =
  /** `byte` marks a two-digit \xHH escape, which Rust reads as a byte outside (?u). */
  | {
      readonly kind: 'literal';
      readonly codePoint: number;
      readonly offset: number;
      readonly byte: boolean;
    }
  | { readonly kind: 'class'; readonly node: ClassNode; readonly offset: number }
  | { readonly kind: 'assertion'; readonly node: AssertionNode; readonly offset: number };

const META = new Set('\\.+*?()|[]{}^$#&-~');
const SPECIAL: Readonly<Record<string, number>> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
const PERL: Readonly<Record<string, PerlKind>> = { d: 'digit', s: 'space', w: 'word' };
const ASSERTIONS: Readonly<Record<string, AssertionKind>> = {
  A: 'startText',
  z: 'endText',
  B: 'notWordBoundary',
  '<': 'wordStart',
  '>': 'wordEnd',
};
const SPECIAL_WORD_BOUNDARIES: Readonly<Record<string, AssertionKind>> = {
  start: 'wordStart',
  end: 'wordEnd',
  'start-half': 'wordStartHalf',
  'end-half': 'wordEndHalf',
};

export function parseEscape(cursor: Cursor, flags: Flags): Primitive {
  const start = cursor.pos;
  if (!cursor.bump()) cursor.fail('incomplete escape sequence at the end of the regex', start);
  const char = cursor.char;
  if (/[0-9]/.test(char)) {
    cursor.fail('backreferences are not supported (the Rust regex syntax has none)', start);
  }
  if (char === 'x' || char === 'u' || char === 'U') return parseHex(cursor, start);
  if (char === 'p' || char === 'P') return parseUnicodeClass(cursor, flags, start);
  const perl = PERL[char.toLowerCase()];
  if (perl !== undefined && /[dswDSW]/.test(char)) {
    cursor.bump();
    const text = cursor.source.slice(start, cursor.pos);
    return {
      kind: 'class',
      node: perlClass(perl, char !== char.toLowerCase(), flags.u, text),
      offset: start,
    };
  }
  cursor.bump();
  return parseOneLetter(cursor, flags, char, start);
}

function parseOneLetter(cursor: Cursor, flags: Flags, char: string, start: number): Primitive {
  if (META.has(char) || isEscapeable(char)) {
    return { kind: 'literal', codePoint: char.codePointAt(0)!, offset: start, byte: false };
  }
  const special = SPECIAL[char];
  if (special !== undefined)
    return { kind: 'literal', codePoint: special, offset: start, byte: false };
  if (char === 'b') return assertion(parseWordBoundary(cursor, start), flags, start);
  const kind = ASSERTIONS[char];
  if (kind === undefined) return cursor.fail(`unrecognized escape sequence "\\${char}"`, start);
  return assertion(kind, flags, start, char === '<' || char === '>');
}

/** Rust lets any ASCII character but letters, digits, "<" and ">" be escaped for nothing. */
function isEscapeable(char: string): boolean {
  return /^[\x00-\x7f]$/.test(char) && !/[0-9A-Za-z<>]/.test(char);
}

function assertion(kind: AssertionKind, flags: Flags, offset: number, angle = false): Primitive {
  const ascii = !flags.u && kind !== 'startText' && kind !== 'endText';
  const node: AssertionNode = angle
    ? { type: 'assertion', kind, ascii, angle }
    : { type: 'assertion', kind, ascii };
  return { kind: 'assertion', node, offset };
}

/** After \b, "{" opens \b{start}… unless it is a counted repetition such as \b{2}. */
function parseWordBoundary(cursor: Cursor, start: number): AssertionKind {
  if (cursor.char !== '{') return 'wordBoundary';
  const brace = cursor.pos;
  if (!cursor.bumpAndSpace()) cursor.fail('unclosed special word boundary', start);
  if (!/[A-Za-z-]/.test(cursor.char)) {
    cursor.pos = brace;
    return 'wordBoundary';
  }
  let name = '';
  while (!cursor.eof && /[A-Za-z-]/.test(cursor.char)) {
    name += cursor.char;
    cursor.bumpAndSpace();
  }
  if (!cursor.is('}')) cursor.fail('unclosed special word boundary', brace);
  cursor.bump();
  const kind = SPECIAL_WORD_BOUNDARIES[name];
  if (kind === undefined) {
    cursor.fail(
      `unknown special word boundary "\\b{${name}}" (expected start, end, start-half or end-half)`,
      start,
    );
  }
  return kind;
}

function parseHex(cursor: Cursor, start: number): Primitive {
  const digits = cursor.char === 'x' ? 2 : cursor.char === 'u' ? 4 : 8;
  if (!cursor.bumpAndSpace())
    cursor.fail('incomplete escape sequence at the end of the regex', start);
  if (cursor.char === '{') return parseHexBrace(cursor, start);
  let hex = '';
  for (let i = 0; i < digits; i++) {
    if (i > 0 && !cursor.bumpAndSpace()) {
      cursor.fail('incomplete escape sequence at the end of the regex', start);
    }
    if (!/[0-9A-Fa-f]/.test(cursor.char)) cursor.fail(`invalid hexadecimal digit "${cursor.char}"`);
    hex += cursor.char;
  }
  cursor.bumpAndSpace();
  return hexLiteral(cursor, hex, start, digits === 2);
}

function parseHexBrace(cursor: Cursor, start: number): Primitive {
  let hex = '';
  while (cursor.bumpAndSpace() && !cursor.is('}')) {
    if (!/[0-9A-Fa-f]/.test(cursor.char)) cursor.fail(`invalid hexadecimal digit "${cursor.char}"`);
    hex += cursor.char;
  }
  if (cursor.eof) cursor.fail('unclosed hexadecimal escape', start);
  cursor.bumpAndSpace();
  if (hex === '') cursor.fail('empty hexadecimal escape', start);
  return hexLiteral(cursor, hex, start, false);
}

function hexLiteral(cursor: Cursor, hex: string, start: number, byte: boolean): Primitive {
  const codePoint = Number.parseInt(hex, 16);
  if (hex.length > 8 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
    cursor.fail(`hexadecimal escape "${hex}" is not a Unicode scalar value`, start);
  }
  return { kind: 'literal', codePoint, offset: start, byte };
}

function parseUnicodeClass(cursor: Cursor, flags: Flags, start: number): Primitive {
  let negated = cursor.char === 'P';
  if (!cursor.bumpAndSpace())
    cursor.fail('incomplete escape sequence at the end of the regex', start);
  let query: string;
  if (cursor.char === '{') {
    query = '';
    while (cursor.bumpAndSpace() && !cursor.is('}')) query += cursor.char;
    if (cursor.eof) cursor.fail('unclosed Unicode class', start);
    cursor.bump();
  } else {
    if (cursor.char === '\\') cursor.fail('invalid Unicode class');
    query = cursor.char;
    cursor.bumpAndSpace();
  }
  if (!flags.u) cursor.fail('Unicode classes need Unicode mode, which (?-u) turned off', start);
  const [name, value, notEqual] = splitQuery(query);
  if (notEqual) negated = !negated;
  const resolved = resolveProperty(name, value);
  if (!resolved.ok) cursor.fail(resolved.reason, start);
  const text = cursor.source.slice(start, cursor.pos);
  const items = [{ kind: 'property', property: resolved.property }] as const;
  const node: ClassNode = { type: 'class', items, negated, caseInsensitive: flags.i, text };
  return { kind: 'class', node, offset: start };
}

/** "sc!=Greek", "sc:Greek", "sc=Greek" or "Greek", checked in Rust's order. */
function splitQuery(query: string): [string, string | undefined, boolean] {
  const notEqual = query.indexOf('!=');
  if (notEqual >= 0) return [query.slice(0, notEqual), query.slice(notEqual + 2), true];
  const separator = query.includes(':') ? query.indexOf(':') : query.indexOf('=');
  if (separator >= 0) return [query.slice(0, separator), query.slice(separator + 1), false];
  return [query, undefined, false];
}
