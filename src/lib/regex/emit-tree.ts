// Owns the engine-neutral part of emitting: precedence, groups, quantifiers and captures.
// Receives a RegexNode and a Dialect that spells the leaves for one engine (V8 or RE2).
// Sends the source text and the capture names in group order.

import { RegexError } from '../errors.js';
import {
  type AssertionNode,
  type ClassNode,
  children,
  type DotNode,
  type LiteralNode,
  type LookNode,
  type RegexNode,
  type RepeatNode,
} from './ast.js';

/**
 * How a piece of source binds: only atoms take a quantifier without a group; a quantified
 * atom binds like one, except that quantifying it again needs a group ("a**" is invalid).
 */
export type FragmentKind = 'atom' | 'quantified' | 'sequence' | 'alternation' | 'assertion';

export interface Fragment {
  readonly source: string;
  readonly kind: FragmentKind;
}

export interface Dialect {
  /** A maximal run of adjacent literals of a concatenation. */
  literals(nodes: readonly LiteralNode[]): Fragment;
  charClass(node: ClassNode): Fragment;
  dot(node: DotNode): Fragment;
  assertion(node: AssertionNode): Fragment;
  look(node: LookNode, body: Fragment): Fragment;
}

export function atom(source: string): Fragment {
  return { source, kind: 'atom' };
}

export class TreeEmitter {
  readonly captures: string[] = [];
  private readonly dialect: Dialect;

  constructor(dialect: Dialect) {
    this.dialect = dialect;
  }

  emit(node: RegexNode): Fragment {
    switch (node.type) {
      case 'literal':
        return this.dialect.literals([node]);
      case 'class':
        return this.dialect.charClass(node);
      case 'dot':
        return this.dialect.dot(node);
      case 'assertion':
        return this.dialect.assertion(node);
      case 'group':
        return this.emit(node.body);
      case 'capture':
        this.captures.push(node.name);
        return atom(`(${this.emit(node.body).source})`);
      case 'repeat':
        return this.repeat(node);
      case 'concat':
        return this.concat(node.items);
      case 'alternation':
        return this.alternation(node.alternatives);
      case 'patternRef':
        throw new RegexError(
          `pattern <${node.name}> must be substituted before emitting`,
          node.offset,
        );
      case 'look':
        return this.dialect.look(node, this.emit(node.body));
      case 'empty':
        return { source: '', kind: 'sequence' };
    }
  }

  private repeat(node: RepeatNode): Fragment {
    const body = this.emit(node.body);
    if (node.min === 1 && node.max === 1) return body;
    const target = body.kind === 'atom' ? body.source : `(?:${body.source})`;
    return { source: `${target}${quantifier(node)}`, kind: 'quantified' };
  }

  private concat(items: readonly RegexNode[]): Fragment {
    const parts: Fragment[] = [];
    for (let i = 0; i < items.length; ) {
      const run: LiteralNode[] = [];
      for (let item = items[i]; item?.type === 'literal'; item = items[++i]) run.push(item);
      parts.push(run.length > 0 ? this.dialect.literals(run) : this.emit(items[i++]!));
    }
    if (parts.length === 1) return parts[0]!;
    const source = parts
      .map((part) => (part.kind === 'alternation' ? `(?:${part.source})` : part.source))
      .join('');
    return { source, kind: 'sequence' };
  }

  private alternation(alternatives: readonly RegexNode[]): Fragment {
    const source = alternatives.map((branch) => this.emit(branch).source).join('|');
    return { source, kind: 'alternation' };
  }
}

export function quantifier({ min, max, greedy }: RepeatNode): string {
  let text: string;
  if (max === Number.POSITIVE_INFINITY) text = min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  else if (min === 0 && max === 1) text = '?';
  else text = min === max ? `{${min}}` : `{${min},${max}}`;
  return greedy ? text : `${text}?`;
}

/** Visits every node of the tree, depth first, parents before children. */
export function walk(node: RegexNode, visit: (node: RegexNode) => void): void {
  visit(node);
  for (const child of children(node)) walk(child, visit);
}
