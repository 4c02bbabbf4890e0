// Owns bracketed classes: ranges, nesting, [:posix:] names and the && -- ~~ set operations.
// Receives a cursor at "[" and the flags in force from parse.ts.
// Sends a ClassNode with Rust's meaning; outside (?u) it is reduced to ASCII ranges.

import type { ClassItem, ClassNode, SetOperator } from './ast.js';
import { type CharSet, complement, normalise, type Range } from './charset.js';
import { posixSet, rangeItems, resolveClass } from './class-set.js';
import type { Cursor, Flags } from './cursor.js';
import { type Primitive, parseEscape } from './parse-escape.js';

const OPERATORS: Readonly<Record<string, SetOperator>> = {
  '&&': 'intersection',
  '--': 'difference',
  '~~': 'symmetricDifference',
};

export class ClassParser {
  private readonly cursor: Cursor;
  private readonly flags: Flags;
  private readonly enter: (offset: number) => void;
  private readonly leave: () => void;
  private readonly opens: number[] = [];

  /** `enter`/`leave` let the caller count nesting against its limit. */
  constructor(cursor: Cursor, flags: Flags, enter: (offset: number) => void, leave: () => void) {
    this.cursor = cursor;
    this.flags = flags;
    this.enter = enter;
    this.leave = leave;
  }

  parse(): ClassNode {
    const start = this.cursor.pos;
    const node = this.parseBracket();
    const text = this.cursor.source.slice(start, this.cursor.pos);
    return this.flags.u ? { ...node, text } : this.toAscii(node, start, text);
  }

  private parseBracket(): ClassNode {
    const cursor = this.cursor;
    const open = cursor.pos;
    this.enter(open);
    this.opens.push(open);
    const unclosed = () => this.unclosed();
    if (!cursor.bumpAndSpace()) unclosed();
    const negated = cursor.char === '^';
    if (negated && !cursor.bumpAndSpace()) unclosed();
    let items: ClassItem[] = [];
    // A leading "-" or "]" is literal: an empty class cannot be written.
    while (cursor.char === '-' || (items.length === 0 && cursor.char === ']')) {
      items.push(point(cursor.char.codePointAt(0)!));
      if (!cursor.bumpAndSpace()) unclosed();
    }
    let pending: { op: SetOperator; left: ClassNode } | null = null;
    for (;;) {
      cursor.bumpSpace();
      if (cursor.eof) unclosed();
      const operator = OPERATORS[cursor.char + cursor.peek()];
      if (cursor.char === ']') break;
      if (operator !== undefined) {
        cursor.bump();
        cursor.bump();
        pending = { op: operator, left: this.combine(pending, items) };
        items = [];
      } else if (cursor.char === '[') items.push(this.parseNested());
      else items.push(this.parseRange());
    }
    cursor.bump();
    this.leave();
    this.opens.pop();
    const content = pending === null ? items : this.combine(pending, items).items;
    return { type: 'class', items: content, negated, caseInsensitive: this.flags.i };
  }

  /** Rust points at the innermost class still open. */
  private unclosed(): never {
    return this.cursor.fail('unclosed character class', this.opens[this.opens.length - 1]);
  }

  private combine(pending: { op: SetOperator; left: ClassNode } | null, items: ClassItem[]) {
    const right = this.union(items);
    if (pending === null) return right;
    return this.union([{ kind: 'setOperation', op: pending.op, left: pending.left, right }]);
  }

  private union(items: readonly ClassItem[]): ClassNode {
    return { type: 'class', items, negated: false, caseInsensitive: this.flags.i };
  }

  private parseNested(): ClassItem {
    const posix = this.parsePosix();
    if (posix !== null) return { kind: 'class', class: posix };
    return { kind: 'class', class: this.parseBracket() };
  }

  /** "[:alpha:]" or "[:^alpha:]"; anything else is a nested class, as in Rust. */
  private parsePosix(): ClassNode | null {
    const cursor = this.cursor;
    const match = /^\[:(\^?)([^:\]]*):\]/.exec(cursor.source.slice(cursor.pos));
    const set = match === null ? undefined : posixSet(match[2]!);
    if (match === null || set === undefined) return null;
    cursor.pos += match[0].length;
    const negated = match[1] === '^';
    return { type: 'class', items: rangeItems(set), negated, caseInsensitive: this.flags.i };
  }

  private parseRange(): ClassItem {
    const cursor = this.cursor;
    const first = this.parseItem();
    cursor.bumpSpace();
    if (cursor.eof) return this.toItem(first);
    const next = cursor.peekSpace();
    if (cursor.char !== '-' || next === ']' || next === '-') return this.toItem(first);
    if (!cursor.bumpAndSpace()) this.unclosed();
    const last = this.parseItem();
    if (first.kind !== 'literal' || last.kind !== 'literal') {
      const culprit = first.kind !== 'literal' ? first : last;
      return cursor.fail('invalid range boundary: ranges need single characters', culprit.offset);
    }
    if (first.codePoint > last.codePoint) {
      const text = cursor.source.slice(first.offset, cursor.pos);
      cursor.fail(
        `invalid character class range "${text}": the start is after the end`,
        first.offset,
      );
    }
    this.checkAscii(first);
    this.checkAscii(last);
    return { kind: 'range', from: first.codePoint, to: last.codePoint };
  }

  private parseItem(): Primitive {
    const cursor = this.cursor;
    if (cursor.char === '\\') return parseEscape(cursor, this.flags);
    const offset = cursor.pos;
    const codePoint = cursor.char.codePointAt(0)!;
    cursor.bump();
    return { kind: 'literal', codePoint, offset, byte: false };
  }

  private toItem(primitive: Primitive): ClassItem {
    switch (primitive.kind) {
      case 'literal':
        this.checkAscii(primitive);
        return point(primitive.codePoint);
      case 'class':
        return { kind: 'class', class: primitive.node };
      case 'assertion':
        return this.cursor.fail(
          'this escape sequence cannot appear in a character class',
          primitive.offset,
        );
    }
  }

  /** Outside (?u), Rust classes hold bytes: only ASCII characters can be written in them. */
  private checkAscii(primitive: Primitive & { kind: 'literal' }): void {
    if (this.flags.u || primitive.codePoint <= 0x7f) return;
    const reason = primitive.byte ? 'can match invalid UTF-8' : 'has a non-ASCII character';
    this.cursor.fail(`this class ${reason}, which Rust refuses under (?-u)`, primitive.offset);
  }

  /** Rust folds ASCII letters only, and refuses classes that could match non-ASCII bytes. */
  private toAscii(node: ClassNode, start: number, text: string): ClassNode {
    let set = resolveClass({ ...node, negated: false, caseInsensitive: false });
    if (this.flags.i) set = asciiFold(set);
    if (node.negated) set = complement(set);
    if (set.some(([, to]) => to > 0x7f)) {
      this.cursor.fail('this class can match invalid UTF-8, which Rust refuses under (?-u)', start);
    }
    return { type: 'class', items: rangeItems(set), negated: false, caseInsensitive: false, text };
  }
}

function point(codePoint: number): ClassItem {
  return { kind: 'range', from: codePoint, to: codePoint };
}

export function asciiFold(set: CharSet): CharSet {
  const added: Range[] = [...set];
  for (const [from, to] of set) {
    for (let cp = Math.max(from, 0x41); cp <= Math.min(to, 0x7a); cp++) {
      if (/[A-Za-z]/.test(String.fromCharCode(cp))) added.push([cp ^ 0x20, cp ^ 0x20]);
    }
  }
  return normalise(added);
}
