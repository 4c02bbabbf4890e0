// Owns the reading position in a regex source and Rust's verbose-mode whitespace skipping.
// Receives the source text from parse.ts; the parsing modules move it forward.
// Sends code points, look-ahead and RegexErrors located at an offset (a UTF-16 index).

import { RegexError } from '../errors.js';

export interface Flags {
  /** Case-insensitive. */
  readonly i: boolean;
  /** Multi-line: ^ and $ match at line boundaries. */
  readonly m: boolean;
  /** Dot matches "\n". */
  readonly s: boolean;
  /** Swap greediness. */
  readonly U: boolean;
  /** Unicode mode (on by default in Rust). */
  readonly u: boolean;
  /** Verbose: whitespace and # comments ignored. */
  readonly x: boolean;
  /** CRLF mode: "\r" is a line terminator too. */
  readonly R: boolean;
}

export const DEFAULT_FLAGS: Flags = {
  i: false,
  m: false,
  s: false,
  U: false,
  u: true,
  x: false,
  R: false,
};

const WHITE_SPACE = /^\p{White_Space}$/u;

export class Cursor {
  readonly source: string;
  pos = 0;
  /** Mirrors the `x` flag in force, which groups save and restore. */
  ignoreWhitespace = false;

  constructor(source: string) {
    this.source = source;
  }

  get eof(): boolean {
    return this.pos >= this.source.length;
  }

  /** The code point at the position, as a string; "" at the end. */
  get char(): string {
    return charAt(this.source, this.pos);
  }

  /** A method rather than `char ===`, which TypeScript would wrongly narrow across bumps. */
  is(char: string): boolean {
    return this.char === char;
  }

  /** The code point after the current one, ignoring nothing. */
  peek(): string {
    return charAt(this.source, this.pos + this.char.length);
  }

  /** Advances one code point; returns false when that reaches the end. */
  bump(): boolean {
    this.pos += this.char.length;
    return !this.eof;
  }

  bumpIf(prefix: string): boolean {
    if (!this.source.startsWith(prefix, this.pos)) return false;
    this.pos += prefix.length;
    return true;
  }

  /** In verbose mode, skips whitespace and comments up to the next significant character. */
  bumpSpace(): void {
    if (!this.ignoreWhitespace) return;
    while (!this.eof) {
      if (isWhitespace(this.char)) this.bump();
      else if (this.char === '#') this.skipComment();
      else return;
    }
  }

  bumpAndSpace(): boolean {
    if (!this.bump()) return false;
    this.bumpSpace();
    return !this.eof;
  }

  /** Like peek(), but in verbose mode looks past whitespace and comments. */
  peekSpace(): string {
    if (!this.ignoreWhitespace) return this.peek();
    const saved = this.pos;
    this.bump();
    this.bumpSpace();
    const next = this.char;
    this.pos = saved;
    return next;
  }

  fail(message: string, offset: number = this.pos): never {
    throw new RegexError(message, offset);
  }

  private skipComment(): void {
    while (!this.eof) {
      const char = this.char;
      this.bump();
      if (char === '\n') return;
    }
  }
}

function charAt(source: string, pos: number): string {
  const cp = source.codePointAt(pos);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/** Rust's char::is_whitespace, which is the Unicode White_Space property. */
export function isWhitespace(char: string): boolean {
  return WHITE_SPACE.test(char);
}
