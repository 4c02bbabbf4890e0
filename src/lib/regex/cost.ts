// Owns the estimate of a backtracking engine's worst case on one line of n characters.
// Receives a RegexNode (patterns substituted or opaque) and whether the search is anchored.
// Sends a degree of n and a reason a system administrator can act on; it errs high.

import type { RegexNode } from './ast.js';
import { complement, normalise, subtract } from './charset.js';
import { chains, DEGREE_CAP, Exponential, type Path, pathsOf, type Token } from './cost-paths.js';

export interface Cost {
  readonly kind: 'linear' | 'polynomial' | 'exponential';
  /** Steps grow like n^degree; Infinity when exponential. */
  readonly degree: number;
  /** Why, in words; null when linear. */
  readonly reason: string | null;
}

export interface CostOptions {
  /** The caller only tries the regex at the start of the line. */
  readonly anchoredSearch?: boolean;
}

interface PathCost {
  readonly degree: number;
  readonly chain: readonly Token[];
  readonly unanchored: boolean;
}

/**
 * Degree = 1 for trying every start position (0 when anchored) + the longest chain of
 * unbounded repetitions in sequence that some text can fit all along: each member
 * multiplies the ways to split a line that finally fails to match.
 */
export function worstCase(node: RegexNode, options: CostOptions = {}): Cost {
  let paths: Path[];
  try {
    paths = pathsOf(node);
  } catch (error) {
    if (!(error instanceof Exponential)) throw error;
    return {
      kind: 'exponential',
      degree: Number.POSITIVE_INFINITY,
      reason: `${error.message}: a hostile line can take exponential time`,
    };
  }
  const costs = paths.map((path) => pathCost(path, options.anchoredSearch === true));
  const worst = costs.reduce((a, b) => (b.degree > a.degree ? b : a));
  if (worst.degree <= 1) return { kind: 'linear', degree: 1, reason: null };
  return { kind: 'polynomial', degree: worst.degree, reason: explain(worst) };
}

function pathCost(path: Path, anchoredSearch: boolean): PathCost {
  const unanchored = !anchoredSearch && path[0]?.type !== 'start';
  const tokens = path.filter((step): step is Token => step.type === 'token');
  const { best, from } = chains(tokens, tailFree(path));
  const end = best.reduce((top, value, j) => (value > (best[top] ?? 0) ? j : top), -1);
  const chain: Token[] = [];
  for (let j = end; j >= 0; j = from[j]!) chain.unshift(tokens[j]!);
  return { degree: (unanchored ? 1 : 0) + (best[end] ?? 0), chain, unanchored };
}

/**
 * Repetitions after which nothing can fail never backtrack: once they have run, the match
 * succeeds. "$" cannot fail after a repetition of "." on a line, which has no "\n".
 */
function tailFree(path: Path): Set<Token> {
  const free = new Set<Token>();
  const dotLike = complement(
    normalise([
      [10, 10],
      [13, 13],
    ]),
  );
  let canFail = false;
  let endPending = false;
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i]!;
    if (step.type === 'check' || (step.type === 'token' && step.min > 0 && !step.unbounded))
      canFail = true;
    if (step.type === 'end') endPending = true;
    if (step.type !== 'token' || !step.unbounded) continue;
    const endHolds = !endPending || subtract(dotLike, step.chars).length === 0;
    if (!canFail && endHolds && !step.compound) free.add(step);
    // A required repetition fails where its characters are missing.
    if (!free.has(step) || step.min > 0) canFail = true;
    endPending = false;
  }
  return free;
}

function explain({ degree, chain, unanchored }: PathCost): string {
  const about = degree >= DEGREE_CAP ? 'at least' : 'about';
  const steps = `: ${about} n^${degree} steps for a line of n characters`;
  const search = unanchored
    ? ', and an unanchored search tries them from every start position'
    : '';
  const texts = chain.map((t) => t.text);
  if (texts.length === 0) return `an unanchored search retries from every start position${steps}`;
  if (texts.length === 1) {
    const deep = chain[0]!.weight > 1 ? ', and it repeats repetitions that overlap' : '';
    const tail = unanchored
      ? ', and an unanchored search retries it from every start position'
      : '';
    return `"${texts[0]}" can match a long stretch of the line${deep}${tail}${steps}`;
  }
  const same = texts.every((text) => text === texts[0]);
  const count = ['', '', 'two', 'three', 'four'][texts.length] ?? String(texts.length);
  const subject = same ? `${count} "${texts[0]}"` : texts.map((text) => `"${text}"`).join(' then ');
  return `${subject} in sequence can ${texts.length === 2 ? 'both' : 'all'} match the same text${search}${steps}`;
}
