// Owns a short, Rust-like rendering of a sub-tree, to name it in explanations.
// Receives RegexNodes from the analyses.
// Sends text such as ".*", "\S+" or "<ip>" (a capture shows as the pattern it stands for).

import type { AssertionKind, RegexNode } from './ast.js';
import { quantifier } from './emit-tree.js';

const META = '\\.+*?()|[]{}^$#&-~';

export function printNode(node: RegexNode): string {
  switch (node.type) {
    case 'literal': {
      const char = String.fromCodePoint(node.codePoint);
      if (char === '\n') return '\\n';
      if (char === '\t') return '\\t';
      return META.includes(char) ? `\\${char}` : char;
    }
    case 'class':
      return node.text ?? (node.negated ? '[^…]' : '[…]');
    case 'dot':
      return '.';
    case 'assertion':
      return ASSERTIONS[node.kind];
    case 'group':
      return printNode(node.body);
    case 'capture':
      return `<${node.name}>`;
    case 'repeat':
      return `${printAtom(node.body)}${quantifier(node)}`;
    case 'concat':
      return node.items
        .map((item) => (item.type === 'alternation' ? `(?:${printNode(item)})` : printNode(item)))
        .join('');
    case 'alternation':
      return node.alternatives.map(printNode).join('|');
    case 'patternRef':
      return `<${node.name}>`;
    case 'look':
      return `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}${printNode(node.body)})`;
    case 'empty':
      return '';
  }
}

/** Brackets a multi-character body the way a person would write it before a quantifier. */
function printAtom(node: RegexNode): string {
  const text = printNode(node);
  const single = [...text].length === 1 || /^\\.$/u.test(text);
  const bracketed = node.type === 'class' || node.type === 'dot' || node.type === 'capture';
  return single || bracketed || node.type === 'patternRef' ? text : `(${text})`;
}

const ASSERTIONS: Readonly<Record<AssertionKind, string>> = {
  startText: '^',
  endText: '$',
  startLine: '(?m:^)',
  endLine: '(?m:$)',
  startLineCrlf: '(?mR:^)',
  endLineCrlf: '(?mR:$)',
  wordBoundary: '\\b',
  notWordBoundary: '\\B',
  wordStart: '\\b{start}',
  wordEnd: '\\b{end}',
  wordStartHalf: '\\b{start-half}',
  wordEndHalf: '\\b{end-half}',
};
