// Owns the analyses callers run before matching: worst-case cost, a literal pre-filter, and
// anchoring a leading ".*". Receives RegexNodes, usually with pattern captures substituted.
// Sends a Cost, a literal or null, and an equivalent tree, respectively.

import type { RegexNode } from './ast.js';
import { concat } from './ast.js';

export type { Cost, CostOptions } from './cost.js';
export { worstCase } from './cost.js';
export { requiredLiteral } from './literal.js';

/**
 * `^.*X` for `.*X` when every alternative starts with a greedy ".*": on a line, which has
 * no "\n", both find the same leftmost match, but the anchored one is tried once instead of
 * from every position, which removes one polynomial degree in a backtracking engine.
 */
export function anchorLeadingDotStar(node: RegexNode): RegexNode {
  if (!startsWithDotStar(node)) return node;
  return concat([{ type: 'assertion', kind: 'startText', ascii: false }, node]);
}

function startsWithDotStar(node: RegexNode): boolean {
  switch (node.type) {
    case 'repeat':
      return (
        node.min === 0 &&
        node.max === Number.POSITIVE_INFINITY &&
        node.greedy &&
        isLineDot(node.body)
      );
    case 'group':
    case 'capture':
      return startsWithDotStar(node.body);
    case 'concat':
      return node.items[0] !== undefined && startsWithDotStar(node.items[0]);
    case 'alternation':
      return node.alternatives.every(startsWithDotStar);
    default:
      return false;
  }
}

/** "." without CRLF mode: in CRLF mode it stops at "\r", which lines may hold. */
function isLineDot(node: RegexNode): boolean {
  if (node.type === 'group') return isLineDot(node.body);
  return node.type === 'dot' && !node.crlf;
}
