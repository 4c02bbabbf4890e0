// Owns the reading of Rust `regex` crate syntax (v1.10+) into a RegexNode tree.
// Receives the regex source and the names of the patterns that `<name>` may refer to.
// Sends the tree, with user groups made non-capturing, or a RegexError at an offset.

import { RegexError } from '../errors.js';
import { type AssertionKind, alternation, concat, type RegexNode } from './ast.js';
import { Cursor, DEFAULT_FLAGS, type Flags } from './cursor.js';
import { ClassParser } from './parse-class.js';
import { type Primitive, parseEscape } from './parse-escape.js';
import { parseFlags, parseGroupName, parseRepetition } from './parse-parts.js';
import { hasCaseVariants } from './unicode-sets.js';

export interface ParseOptions {
  /** Names that `<name>` may refer to where a literal could stand. */
  readonly patternNames?: ReadonlySet<string>;
}

/**
 * Rust's default nest limit, over groups, classes and repetitions: deeper sources are refused
 * rather than risking the stack of every walk of the tree.
 */
const NEST_LIMIT = 250;
/** Far beyond real configurations; past them, compiling alone would take seconds. */
const MAX_ALTERNATIVES = 10_000;
const MAX_LENGTH = 100_000;
/** Marks where `(?flags)` stood, so that a repetition right after it can be refused. */
const FLAGS_MARK = Symbol('flags');
type Item = RegexNode | typeof FLAGS_MARK;

export function parseRegex(source: string, options: ParseOptions = {}): RegexNode {
  if (source.length > MAX_LENGTH) {
    throw new RegexError(`regex too large: more than ${MAX_LENGTH} characters`, MAX_LENGTH);
  }
  return new Parser(source, options.patternNames ?? new Set()).parse();
}

class Parser {
  private readonly cursor: Cursor;
  private readonly patternNames: ReadonlySet<string>;
  private readonly groupNames = new Set<string>();
  private flags: Flags = DEFAULT_FLAGS;
  /** Groups and classes open at the reading position. */
  private depth = 0;
  private alternatives = 0;
  /** How deep groups, classes and repetitions nest inside a node already read. */
  private readonly heights = new WeakMap<RegexNode, number>();

  constructor(source: string, patternNames: ReadonlySet<string>) {
    this.cursor = new Cursor(source);
    this.patternNames = patternNames;
  }

  parse(): RegexNode {
    const node = this.parseAlternation();
    if (!this.cursor.eof) this.cursor.fail('unopened group');
    return node;
  }

  /** Branches up to ")" or the end; flags set in one branch stay set in the next, as in Rust. */
  private parseAlternation(): RegexNode {
    const branches = [this.parseConcat()];
    while (this.cursor.char === '|') {
      if (++this.alternatives > MAX_ALTERNATIVES) {
        this.cursor.fail(`regex too large: more than ${MAX_ALTERNATIVES} alternatives`);
      }
      this.cursor.bump();
      branches.push(this.parseConcat());
    }
    return this.measured(alternation(branches), branches, 0);
  }

  /** Records `node`'s height: `levels` above the highest of `parts`. */
  private measured<T extends RegexNode>(node: T, parts: readonly RegexNode[], levels: number): T {
    let height = 0;
    for (const part of parts) height = Math.max(height, this.heights.get(part) ?? 0);
    this.heights.set(node, height + levels);
    return node;
  }

  private nestingFail(offset: number): never {
    return this.cursor.fail(
      `groups, classes and repetitions nest deeper than ${NEST_LIMIT} levels`,
      offset,
    );
  }

  private parseConcat(): RegexNode {
    const cursor = this.cursor;
    const items: Item[] = [];
    for (;;) {
      cursor.bumpSpace();
      if (cursor.eof || cursor.char === ')' || cursor.char === '|') break;
      const char = cursor.char;
      if (char === '(') items.push(this.parseGroup());
      else if (char === '[') items.push(this.parseClass());
      else if ('?*+{'.includes(char)) items.push(this.parseRepeat(items.pop()));
      else items.push(this.parsePrimitive());
    }
    const nodes = items.filter((item): item is RegexNode => item !== FLAGS_MARK);
    return this.measured(concat(nodes), nodes, 0);
  }

  private parseRepeat(target: Item | undefined): RegexNode {
    const offset = this.cursor.pos;
    if (target === undefined || target === FLAGS_MARK) {
      this.cursor.fail(`repetition operator "${this.cursor.char}" has nothing to repeat`);
    }
    const { min, max, lazy } = parseRepetition(this.cursor);
    if (min > max) {
      const text = this.cursor.source.slice(offset, this.cursor.pos);
      this.cursor.fail(
        `invalid repetition range "${text}": the minimum is above the maximum`,
        offset,
      );
    }
    const node = { type: 'repeat', body: target, min, max, greedy: lazy === this.flags.U } as const;
    this.measured(node, [target], 1);
    if (this.depth + this.heights.get(node)! > NEST_LIMIT) this.nestingFail(offset);
    return node;
  }

  private enter(offset: number): void {
    this.depth++;
    if (this.depth > NEST_LIMIT) this.nestingFail(offset);
  }

  private parseGroup(): Item {
    const cursor = this.cursor;
    const open = cursor.pos;
    cursor.bump();
    cursor.bumpSpace();
    if (/^\?(=|!|<=|<!)/.test(cursor.source.slice(cursor.pos))) {
      cursor.fail('look-around is not supported (the Rust regex syntax has none)', open);
    }
    if (cursor.bumpIf('?P<') || cursor.bumpIf('?<')) {
      const name = parseGroupName(cursor);
      if (this.groupNames.has(name)) cursor.fail(`duplicate group name "${name}"`, open);
      this.groupNames.add(name);
      return this.parseGroupBody(open, this.flags);
    }
    if (!cursor.bumpIf('?')) return this.parseGroupBody(open, this.flags);
    if (cursor.eof) cursor.fail('unclosed group', open);
    const { flags, scoped } = parseFlags(cursor, this.flags, open);
    if (scoped) return this.parseGroupBody(open, flags);
    this.flags = flags;
    cursor.ignoreWhitespace = flags.x;
    return FLAGS_MARK;
  }

  /** The flags of a group end with it, including those set inside it by `(?flags)`. */
  private parseGroupBody(open: number, flags: Flags): RegexNode {
    const saved = this.flags;
    this.enter(open);
    this.flags = flags;
    this.cursor.ignoreWhitespace = flags.x;
    const body = this.parseAlternation();
    if (this.cursor.char !== ')') this.cursor.fail('unclosed group', open);
    this.cursor.bump();
    this.flags = saved;
    this.cursor.ignoreWhitespace = saved.x;
    this.depth--;
    return this.measured({ type: 'group', body }, [body], 1);
  }

  private parseClass(): RegexNode {
    const leave = () => {
      this.depth--;
    };
    const parser = new ClassParser(this.cursor, this.flags, (offset) => this.enter(offset), leave);
    return this.measured(parser.parse(), [], 1);
  }

  private parsePrimitive(): RegexNode {
    const cursor = this.cursor;
    const offset = cursor.pos;
    const char = cursor.char;
    if (char === '\\') return this.fromPrimitive(parseEscape(cursor, this.flags));
    if (char === '<') {
      const reference = this.parsePatternRef();
      if (reference !== null) return reference;
    }
    cursor.bump();
    if (char === '.') return this.dot(offset);
    if (char === '^') return this.anchor('start');
    if (char === '$') return this.anchor('end');
    return this.literal(char.codePointAt(0)!, offset);
  }

  private parsePatternRef(): RegexNode | null {
    const cursor = this.cursor;
    const match = /^<([A-Za-z0-9_]+)>/.exec(cursor.source.slice(cursor.pos));
    if (match === null || !this.patternNames.has(match[1]!)) return null;
    const offset = cursor.pos;
    cursor.pos += match[0].length;
    return { type: 'patternRef', name: match[1]!, offset };
  }

  private fromPrimitive(primitive: Primitive): RegexNode {
    switch (primitive.kind) {
      case 'literal':
        if (primitive.byte && primitive.codePoint > 0x7f && !this.flags.u) {
          this.cursor.fail(
            '"\\x" above 7F can match invalid UTF-8 under (?-u), which Rust refuses',
            primitive.offset,
          );
        }
        return this.literal(primitive.codePoint, primitive.offset);
      case 'class':
        return primitive.node;
      case 'assertion':
        return primitive.node;
    }
  }

  private dot(offset: number): RegexNode {
    if (!this.flags.u) {
      this.cursor.fail('"." can match invalid UTF-8 under (?-u), which Rust refuses', offset);
    }
    return { type: 'dot', dotAll: this.flags.s, crlf: this.flags.R };
  }

  private anchor(side: 'start' | 'end'): RegexNode {
    const { m, R } = this.flags;
    const kind: AssertionKind = !m ? `${side}Text` : R ? `${side}LineCrlf` : `${side}Line`;
    return { type: 'assertion', kind, ascii: false };
  }

  /**
   * Outside (?u) Rust takes ASCII text only ("Unicode not allowed here"), and under (?i-u)
   * folds ASCII letters only, so those become explicit classes here.
   */
  private literal(codePoint: number, offset: number): RegexNode {
    if (!this.flags.u && codePoint > 0x7f) {
      this.cursor.fail('non-ASCII text needs Unicode mode, which (?-u) turned off', offset);
    }
    if (!this.flags.i) return { type: 'literal', codePoint, caseInsensitive: false };
    if (this.flags.u) {
      const caseInsensitive =
        codePoint < 0x80
          ? /[A-Za-z]/.test(String.fromCodePoint(codePoint))
          : hasCaseVariants(codePoint);
      return { type: 'literal', codePoint, caseInsensitive };
    }
    const char = String.fromCodePoint(codePoint);
    if (!/[A-Za-z]/.test(char)) return { type: 'literal', codePoint, caseInsensitive: false };
    const pair = [codePoint, codePoint ^ 0x20].sort((a, b) => a - b);
    const items = pair.map((cp) => ({ kind: 'range', from: cp, to: cp }) as const);
    return { type: 'class', items, negated: false, caseInsensitive: false, text: char };
  }
}
