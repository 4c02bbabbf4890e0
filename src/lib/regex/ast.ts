// Owns the regex syntax tree shared by the parser, the emitters and the analyses.
// Receives nothing: it only declares node shapes and small constructors.
// Sends these types to parse.ts (producer) and to emit/analyse (consumers).

/** A Unicode property already resolved to its canonical name (see unicode-names.ts). */
export type UnicodeProperty =
  /** Short General_Category alias: "Lu", "L", "LC"… */
  | { readonly kind: 'generalCategory'; readonly value: string }
  /** Long Script name: "Greek", "Latin"… */
  | { readonly kind: 'script'; readonly value: string }
  | { readonly kind: 'scriptExtensions'; readonly value: string }
  /** Binary property, or one of the pseudo-properties "Any", "ASCII", "Assigned". */
  | { readonly kind: 'binary'; readonly value: string };

export type SetOperator = 'intersection' | 'difference' | 'symmetricDifference';

export type ClassItem =
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | { readonly kind: 'property'; readonly property: UnicodeProperty }
  | { readonly kind: 'class'; readonly class: ClassNode }
  | {
      readonly kind: 'setOperation';
      readonly op: SetOperator;
      readonly left: ClassNode;
      readonly right: ClassNode;
    };

/**
 * A set of code points: the union of `items`, closed under simple case folding when
 * `caseInsensitive`, then complemented when `negated` (Rust folds before negating).
 * `text` is the source spelling, kept only to explain analyses to people.
 */
export interface ClassNode {
  readonly type: 'class';
  readonly items: readonly ClassItem[];
  readonly negated: boolean;
  readonly caseInsensitive: boolean;
  readonly text?: string;
}

export interface LiteralNode {
  readonly type: 'literal';
  readonly codePoint: number;
  /** Unicode simple case folding applies (ASCII-only folding is expanded by the parser). */
  readonly caseInsensitive: boolean;
}

/** Any code point except "\n" (and "\r" with `crlf`), or any at all with `dotAll`. */
export interface DotNode {
  readonly type: 'dot';
  readonly dotAll: boolean;
  readonly crlf: boolean;
}

export type AssertionKind =
  | 'startText'
  | 'endText'
  | 'startLine'
  | 'endLine'
  | 'startLineCrlf'
  | 'endLineCrlf'
  | 'wordBoundary'
  | 'notWordBoundary'
  | 'wordStart'
  | 'wordEnd'
  | 'wordStartHalf'
  | 'wordEndHalf';

export interface AssertionNode {
  readonly type: 'assertion';
  readonly kind: AssertionKind;
  /** Word assertions only: the word class is [0-9A-Za-z_] instead of Unicode's. */
  readonly ascii: boolean;
  /** `\\<` or `\\>` when written so: they meant literal brackets before Rust's regex 1.10. */
  readonly angle?: boolean;
}

export interface GroupNode {
  readonly type: 'group';
  readonly body: RegexNode;
}

/** Only created by callers: user groups of the source are never capturing. */
export interface CaptureNode {
  readonly type: 'capture';
  readonly name: string;
  readonly body: RegexNode;
}

export interface RepeatNode {
  readonly type: 'repeat';
  readonly body: RegexNode;
  readonly min: number;
  /** `Infinity` when unbounded. */
  readonly max: number;
  readonly greedy: boolean;
}

export interface ConcatNode {
  readonly type: 'concat';
  readonly items: readonly RegexNode[];
}

export interface AlternationNode {
  readonly type: 'alternation';
  readonly alternatives: readonly RegexNode[];
}

/** `<name>` of a known pattern, to be replaced by the caller; `offset` is in the source. */
export interface PatternRefNode {
  readonly type: 'patternRef';
  readonly name: string;
  readonly offset: number;
}

/** Only created by callers: Rust syntax has no look-around. */
export interface LookNode {
  readonly type: 'look';
  readonly behind: boolean;
  readonly negate: boolean;
  readonly body: RegexNode;
}

export interface EmptyNode {
  readonly type: 'empty';
}

export type RegexNode =
  | LiteralNode
  | ClassNode
  | DotNode
  | AssertionNode
  | GroupNode
  | CaptureNode
  | RepeatNode
  | ConcatNode
  | AlternationNode
  | PatternRefNode
  | LookNode
  | EmptyNode;

export const empty: EmptyNode = { type: 'empty' };

export function literal(codePoint: number, caseInsensitive = false): LiteralNode {
  return { type: 'literal', codePoint, caseInsensitive };
}

export function capture(name: string, body: RegexNode): CaptureNode {
  return { type: 'capture', name, body };
}

export function look(body: RegexNode, behind: boolean, negate: boolean): LookNode {
  return { type: 'look', behind, negate, body };
}

/** Flattens nested concatenations and drops empty nodes; one item stands alone. */
export function concat(items: readonly RegexNode[]): RegexNode {
  const flat: RegexNode[] = [];
  for (const item of items) {
    if (item.type === 'concat') for (const inner of item.items) flat.push(inner);
    else if (item.type !== 'empty') flat.push(item);
  }
  if (flat.length === 0) return empty;
  return flat.length === 1 ? flat[0]! : { type: 'concat', items: flat };
}

export function alternation(alternatives: readonly RegexNode[]): RegexNode {
  return alternatives.length === 1 ? alternatives[0]! : { type: 'alternation', alternatives };
}

/** A case-sensitive literal string, one node per code point. */
export function text(value: string): RegexNode {
  return concat(Array.from(value, (char) => literal(char.codePointAt(0)!)));
}

/** The direct sub-trees of a node. */
export function children(node: RegexNode): readonly RegexNode[] {
  switch (node.type) {
    case 'group':
    case 'capture':
    case 'repeat':
    case 'look':
      return [node.body];
    case 'concat':
      return node.items;
    case 'alternation':
      return node.alternatives;
    default:
      return [];
  }
}

/** Whether some path through the tree consumes nothing (assertions and look-arounds count as passing). */
export function matchesEmpty(node: RegexNode): boolean {
  switch (node.type) {
    case 'literal':
    case 'class':
    case 'dot':
    case 'patternRef':
      return false;
    case 'group':
    case 'capture':
      return matchesEmpty(node.body);
    case 'repeat':
      return node.min === 0 || matchesEmpty(node.body);
    case 'concat':
      return node.items.every(matchesEmpty);
    case 'alternation':
      return node.alternatives.some(matchesEmpty);
    default:
      return true;
  }
}
