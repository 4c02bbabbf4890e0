// Owns the RE2 spelling of the leaves, for the `re2` package (which passes RE2 syntax through).
// Receives nodes from the tree emitter, whether one "i" flag covers the whole regex, and the
// marking of the line (word-marks.ts). Sends RE2 source; look-arounds are dropped and counted.

import type {
  AssertionNode,
  ClassNode,
  DotNode,
  LiteralNode,
  LookNode,
  UnicodeProperty,
} from './ast.js';
import { type CharSet, soleMember } from './charset.js';
import { flatten, resolveClass } from './class-set.js';
import { escapeCodePoint, rangesText, setText } from './emit-common.js';
import { atom, type Dialect, type Fragment } from './emit-tree.js';
import { re2Compiles } from './re2.js';
import { MARK_CLASS, type Marking } from './word-marks.js';

const SYNTAX = '\\.+*?()|[]{}^$';

export interface Re2Options {
  /** The regex gets the "i" flag, so case-insensitive parts need no scoping. */
  readonly globalI: boolean;
  readonly fail: (message: string) => never;
  /** False to only check a regex: classes that need Unicode tables are not spelled out. */
  readonly resolve: boolean;
  /** Set when the line is searched marked: each character then stands between two marks. */
  readonly marking: Marking | null;
}

export class Re2Dialect implements Dialect {
  /** Look-arounds, which RE2 cannot express: the caller checks them on the captures. */
  droppedLooks = 0;
  private readonly globalI: boolean;
  private readonly fail: (message: string) => never;
  private readonly resolve: boolean;
  private readonly marking: Marking | null;

  constructor(options: Re2Options) {
    this.globalI = options.globalI;
    this.fail = options.fail;
    this.resolve = options.resolve;
    this.marking = options.marking;
  }

  /** A character of the line: with marks, the mark before it and the mark after it too. */
  private character(source: string): Fragment {
    if (this.marking === null) return atom(source);
    const mark = MARK_CLASS[this.marking];
    return { source: `${mark}${source}${mark}`, kind: 'sequence' };
  }

  /** Case-insensitive runs keep their letters and get a scoped "(?i:…)", which RE2 has. */
  literals(nodes: readonly LiteralNode[]): Fragment {
    const parts: string[] = [];
    for (let i = 0; i < nodes.length; ) {
      const scoped = nodes[i]!.caseInsensitive && !this.globalI;
      let run = '';
      for (; i < nodes.length && (nodes[i]!.caseInsensitive && !this.globalI) === scoped; i++) {
        run += this.character(escapeCodePoint(nodes[i]!.codePoint, SYNTAX, 're2')).source;
      }
      parts.push(scoped ? `(?i:${run})` : run);
    }
    const source = parts.join('');
    const single = nodes.length === 1 || (parts.length === 1 && source.startsWith('(?i:'));
    return single && this.marking === null ? atom(source) : { source, kind: 'sequence' };
  }

  charClass(node: ClassNode): Fragment {
    // Checking only: no class can make RE2 refuse a regex, and spelling one may need tables.
    if (!this.resolve) return this.character('[^\\n]');
    const flat = flatten(node);
    const names = flat?.properties.map(re2Property) ?? [null];
    if (flat === null || names.some((name) => name === null))
      return this.character(exact(resolveClass(node)));
    const bracket = this.bracket(flat.ranges, names as string[], node.negated);
    return this.character(node.caseInsensitive && !this.globalI ? `(?i:${bracket})` : bracket);
  }

  private bracket(ranges: CharSet, properties: readonly string[], negated: boolean): string {
    const sole = soleMember(ranges);
    if (!negated && properties.length === 0 && sole !== null)
      return escapeCodePoint(sole, SYNTAX, 're2');
    if (ranges.length === 0 && properties.length === 1) {
      return negated ? `\\P${properties[0]!.slice(2)}` : properties[0]!;
    }
    if (ranges.length === 0 && properties.length === 0) return negated ? '(?s:.)' : NOTHING;
    return `[${negated ? '^' : ''}${rangesText(ranges, 're2')}${properties.join('')}]`;
  }

  dot(node: DotNode): Fragment {
    if (node.dotAll) return this.character('(?s:.)');
    return this.character(node.crlf ? '[^\\n\\r]' : '.');
  }

  /** On a marked line, RE2's \b, \B, (?m:^) and (?m:$) read the marks around the position. */
  assertion(node: AssertionNode): Fragment {
    const source = this.assertionSource(node);
    return { source, kind: 'assertion' };
  }

  private assertionSource(node: AssertionNode): string {
    switch (node.kind) {
      case 'startText':
        return '^';
      case 'endText':
        return '$';
      case 'startLine':
      case 'endLine':
        if (this.marking === 'sides') return this.fail('line anchors need the boundaries marking');
        return node.kind === 'startLine' ? '(?m:^)' : '(?m:$)';
      case 'startLineCrlf':
      case 'endLineCrlf':
        return this.fail('CRLF-aware line anchors ((?mR) with ^ or $) cannot be expressed in RE2');
      case 'wordBoundary':
        return '\\b';
      case 'notWordBoundary':
        return '\\B';
      default:
        return this.sideSource(node.kind);
    }
  }

  /** Under the sides marking, (?m:^) means "no word character before", (?m:$) "none after". */
  private sideSource(kind: AssertionNode['kind']): string {
    if (this.marking !== 'sides') return this.fail(`"${kind}" needs the sides marking`);
    if (kind === 'wordStart') return '(?m:^)\\b';
    if (kind === 'wordEnd') return '\\b(?m:$)';
    return kind === 'wordStartHalf' ? '(?m:^)' : '(?m:$)';
  }

  look(_node: LookNode, _body: Fragment): Fragment {
    this.droppedLooks++;
    return { source: '', kind: 'assertion' };
  }
}

/** RE2 spells an empty class this way; "[]" would not compile. */
const NOTHING = '[^\\x00-\\x{10FFFF}]';

function exact(set: CharSet): string {
  const sole = soleMember(set);
  if (sole !== null) return escapeCodePoint(sole, SYNTAX, 're2');
  if (set.length === 0) return NOTHING;
  const { negated, inside } = setText(set, 're2');
  return inside === '' ? '(?s:.)' : `[${negated ? '^' : ''}${inside}]`;
}

const supported = new Map<string, boolean>();

/** RE2 knows general categories and scripts, by short and long name respectively. */
function re2Property(property: UnicodeProperty): string | null {
  let name: string;
  if (property.kind === 'generalCategory') name = `\\p{${property.value}}`;
  else if (property.kind === 'script') name = `\\p{${property.value}}`;
  else if (property.kind === 'binary' && property.value === 'Any') name = '\\p{Any}';
  else return null;
  let ok = supported.get(name);
  if (ok === undefined) {
    ok = re2Compiles(name);
    supported.set(name, ok);
  }
  return ok ? name : null;
}
