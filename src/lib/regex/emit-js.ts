// Owns the V8 spelling of the leaves: literals, classes, dot, assertions and look-arounds.
// Receives nodes from the tree emitter, and whether one "i" flag covers the whole regex.
// Sends `u`-mode source with Rust's meaning (Unicode \d \w \s \b, "." without "\n").

import type {
  AssertionNode,
  ClassNode,
  DotNode,
  LiteralNode,
  LookNode,
  UnicodeProperty,
} from './ast.js';
import { type CharSet, soleMember } from './charset.js';
import { flatten, resolveClass, unicodeWordClass } from './class-set.js';
import { escapeCodePoint, rangesText, setText } from './emit-common.js';
import { atom, type Dialect, type Fragment } from './emit-tree.js';
import { javaScriptProperty } from './unicode-names.js';
import { caseFold, caseOrbit } from './unicode-sets.js';

const SYNTAX = '\\^$.*+?()[]{}|';
const ASCII_WORD = '[0-9A-Za-z_]';

export class JavaScriptDialect implements Dialect {
  private readonly globalI: boolean;

  /** `globalI`: the regex gets the "i" flag, so case-insensitive parts need no expansion. */
  constructor(globalI: boolean) {
    this.globalI = globalI;
  }

  literals(nodes: readonly LiteralNode[]): Fragment {
    const parts = nodes.map((node) => this.literal(node));
    return parts.length === 1 ? atom(parts[0]!) : { source: parts.join(''), kind: 'sequence' };
  }

  private literal({ codePoint, caseInsensitive }: LiteralNode): string {
    const orbit = caseInsensitive && !this.globalI ? caseOrbit(codePoint) : [codePoint];
    if (orbit.length === 1) return escapeCodePoint(codePoint, SYNTAX, 'javascript');
    return `[${orbit.map((cp) => escapeCodePoint(cp, '\\]^-[', 'javascript', false)).join('')}]`;
  }

  charClass(node: ClassNode): Fragment {
    const flat = flatten(node);
    const fold = node.caseInsensitive && !this.globalI;
    if (flat === null || (fold && flat.properties.length > 0))
      return atom(this.exact(resolveClass(node)));
    const ranges = fold ? caseFold(flat.ranges) : flat.ranges;
    return atom(this.bracket(ranges, flat.properties, node.negated));
  }

  /**
   * Under "iu", V8 folds `\P{…}` after complementing while Rust complements after folding;
   * `[^\p{…}]` folds first, as Rust does, so negations keep the brackets then.
   */
  private bracket(
    ranges: CharSet,
    properties: readonly UnicodeProperty[],
    negated: boolean,
  ): string {
    const sole = soleMember(ranges);
    if (!negated && properties.length === 0 && sole !== null) {
      return escapeCodePoint(sole, SYNTAX, 'javascript');
    }
    if (ranges.length === 0 && properties.length === 1) {
      const single = javaScriptProperty(properties[0]!);
      if (!negated) return single;
      if (!this.globalI) return `\\P${single.slice(2)}`;
    }
    const inside = rangesText(ranges, 'javascript') + properties.map(javaScriptProperty).join('');
    return `[${negated ? '^' : ''}${inside}]`;
  }

  private exact(set: CharSet): string {
    const sole = soleMember(set);
    if (sole !== null) return escapeCodePoint(sole, SYNTAX, 'javascript');
    const { negated, inside } = setText(set, 'javascript');
    return `[${negated ? '^' : ''}${inside}]`;
  }

  /** JavaScript's "." also stops at "\r", U+2028 and U+2029: Rust's stops at "\n" only. */
  dot(node: DotNode): Fragment {
    if (node.dotAll) return atom('[^]');
    return atom(node.crlf ? '[^\\n\\r]' : '[^\\n]');
  }

  assertion(node: AssertionNode): Fragment {
    const source = assertionSource(node, node.ascii ? ASCII_WORD : this.unicodeWord());
    return { source, kind: 'assertion' };
  }

  private unicodeWord(): string {
    return this.charClass(unicodeWordClass()).source;
  }

  look(node: LookNode, body: Fragment): Fragment {
    const opener = `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}`;
    return { source: `${opener}${body.source})`, kind: 'assertion' };
  }
}

/**
 * JavaScript's "m" flag would also break lines at "\r", U+2028 and U+2029, so line anchors
 * are look-arounds on "\n" (and "\r" in CRLF mode, never between "\r" and "\n").
 */
function assertionSource(node: AssertionNode, word: string): string {
  const notBetweenCrLf = '(?!(?<=\\r)\\n)';
  switch (node.kind) {
    case 'startText':
      return '^';
    case 'endText':
      return '$';
    case 'startLine':
      return '(?<![^\\n])';
    case 'endLine':
      return '(?![^\\n])';
    case 'startLineCrlf':
      return `(?<![^\\n\\r])${notBetweenCrLf}`;
    case 'endLineCrlf':
      return `(?![^\\n\\r])${notBetweenCrLf}`;
    default:
      return wordAssertion(node, word);
  }
}

function wordAssertion(node: AssertionNode, word: string): string {
  if (node.ascii && node.kind === 'wordBoundary') return '\\b';
  if (node.ascii && node.kind === 'notWordBoundary') return '\\B';
  const [after, notAfter, before, notBefore] = [
    `(?<=${word})`,
    `(?<!${word})`,
    `(?=${word})`,
    `(?!${word})`,
  ];
  switch (node.kind) {
    case 'wordBoundary':
      return `(?:${after}${notBefore}|${notAfter}${before})`;
    case 'notWordBoundary':
      return `(?:${after}${before}|${notAfter}${notBefore})`;
    case 'wordStart':
      return `${notAfter}${before}`;
    case 'wordEnd':
      return `${after}${notBefore}`;
    case 'wordStartHalf':
      return notAfter;
    default:
      return notBefore;
  }
}
