// The regex module's front door for the rest of riposte: parse the configuration dialect,
// build trees around patterns, compile to the dual engine, and the checks that
// `test-config` reports. Receives sources and trees; sends trees, engines and warnings.

import { anchorLeadingDotStar, type Cost, worstCase } from './analyse.js';
import {
  alternation,
  type CaptureNode,
  capture,
  children,
  concat,
  look,
  matchesEmpty,
  type PatternRefNode,
  type RegexNode,
} from './ast.js';
import { toJavaScript } from './emit.js';
import {
  type Engine as BaseEngine,
  compileEngine,
  type EngineOptions,
  type Verify,
} from './engine.js';
import { parseRegex } from './parse.js';

export type { Cost, RegexNode, Verify };
export type Engine = BaseEngine & { readonly warnings: readonly string[] };

export const regex = {
  parse(source: string, patternNames?: ReadonlySet<string>): RegexNode {
    return parseRegex(source, patternNames === undefined ? {} : { patternNames });
  },
  capture,
  concat,
  alternation,
  look(o: { behind: boolean; negate: boolean; body: RegexNode }): RegexNode {
    return look(o.body, o.behind, o.negate);
  },
  /** Whether the regex can match the empty string. */
  matchesEmpty,
  /** Whether some text the regex matches starts with `char` (such as "-", for an option). */
  canStartWith,
  wholeMatcher,
  patternRefs(node: RegexNode): PatternRefNode[] {
    const refs: PatternRefNode[] = [];
    visit(node, (n) => {
      if (n.type === 'patternRef') refs.push(n);
    });
    return refs;
  },
  substitute,
  compile(node: RegexNode, options: EngineOptions = {}): Engine {
    const engine = compileEngine(node, options);
    return {
      ...engine,
      warnings: [...angleWarnings(node), ...greedyWarnings(node), ...riskWarnings(engine, 'line')],
    };
  },
};

/** Whether a whole text matches, with the worst case bounded as for lines; see wholeMatcher. */
export interface WholeMatcher {
  readonly test: (text: string) => boolean;
  readonly cost: Cost;
  /** Texts longer than this go to RE2. */
  readonly v8Limit: number;
  /** What `test-config` says about a regex at risk. */
  readonly warnings: readonly string[];
}

/**
 * A test of whether a whole text matches (`ignore` and `ignoreregex` values, `trigger`
 * values, `show` selectors): the same cost analysis and engine choice as a filter regex,
 * since the texts come from log lines and clients. With `linearOnly`, a regex that is not
 * linear always runs on RE2, compiled now: a selector runs on every match the daemon holds.
 */
function wholeMatcher(node: RegexNode, options: { linearOnly?: boolean } = {}): WholeMatcher {
  const anchored = concat([
    { type: 'assertion', kind: 'startText', ascii: false },
    { type: 'group', body: node },
    { type: 'assertion', kind: 'endText', ascii: false },
  ]);
  const engine = compileEngine(anchored, options);
  return {
    test: (text) => engine.exec(text) !== undefined,
    cost: engine.cost,
    v8Limit: engine.v8Limit,
    warnings: riskWarnings(engine, 'value'),
  };
}

function visit(node: RegexNode, f: (node: RegexNode) => void): void {
  f(node);
  for (const child of children(node)) visit(child, f);
}

/** The tree with each `<name>` replaced by `replace(ref)`. */
function substitute(node: RegexNode, replace: (ref: PatternRefNode) => RegexNode): RegexNode {
  switch (node.type) {
    case 'patternRef':
      return replace(node);
    case 'group':
    case 'capture':
    case 'repeat':
    case 'look':
      return { ...node, body: substitute(node.body, replace) };
    case 'concat':
      return concat(node.items.map((n) => substitute(n, replace)));
    case 'alternation':
      return alternation(node.alternatives.map((n) => substitute(n, replace)));
    default:
      return node;
  }
}

function canStartWith(node: RegexNode, char: string): boolean {
  switch (node.type) {
    case 'literal': {
      const own = String.fromCodePoint(node.codePoint);
      return own === char || (node.caseInsensitive && own.toLowerCase() === char.toLowerCase());
    }
    case 'class':
    case 'dot':
      return takes(node, char);
    case 'group':
    case 'capture':
      return canStartWith(node.body, char);
    case 'repeat':
      return node.max > 0 && canStartWith(node.body, char);
    case 'concat':
      for (const item of node.items) {
        if (canStartWith(item, char)) return true;
        if (!matchesEmpty(item)) return false;
      }
      return false;
    case 'alternation':
      return node.alternatives.some((a) => canStartWith(a, char));
    case 'patternRef':
      return true;
    default:
      return false;
  }
}

function greedyWarnings(node: RegexNode): string[] {
  const greedy = greedyBeforeCapture(node);
  if (greedy === undefined) return [];
  return [
    `greedy "${greedy.before}" before <${greedy.capture}> with no anchor at the end: the value taken is the last that fits, which may be text an attacker wrote; anchor the end of the regex or use a narrower class than "${greedy.before}"`,
  ];
}

/** What riposte does about a regex whose worst case is steep, run on a line or on a value. */
function riskWarnings(engine: BaseEngine, on: 'line' | 'value'): string[] {
  const cost = engine.cost;
  if (cost.kind === 'exponential') {
    return [
      `at risk: ${cost.reason}; riposte matches every ${on} with its linear-time engine (RE2), which is slower`,
    ];
  }
  if (cost.degree >= 3 && Number.isFinite(engine.v8Limit)) {
    const when =
      engine.v8Limit === 0
        ? `every ${on} is`
        : `${on}s longer than ${engine.v8Limit} characters are`;
    return [
      `at risk: ${cost.reason}; time can grow as the ${on} length to the power ${cost.degree}, so ${when} matched with the linear-time engine (RE2)`,
    ];
  }
  return [];
}

/**
 * Configurations written for Rust's regex before 1.10 escape angle brackets (`\\<<ip>:\\d+\\>`
 * for dropbear's `<1.2.3.4:22>`); since 1.10 they are word boundaries, and such a regex
 * cannot match the brackets it meant.
 */
function angleWarnings(node: RegexNode): string[] {
  const found = new Set<string>();
  visit(node, (n) => {
    if (n.type === 'assertion' && n.angle === true) found.add(n.kind === 'wordStart' ? '<' : '>');
  });
  return [...found].sort().map((bracket) => {
    const meaning = bracket === '<' ? 'the start of a word' : 'the end of a word';
    return `"\\${bracket}" means ${meaning} (since Rust's regex 1.10), not a literal "${bracket}": write "${bracket}", which needs no escape`;
  });
}

/** The first capture that a greedy "." or negated-class repetition precedes, when no end anchor follows it. */
function greedyBeforeCapture(node: RegexNode): { before: string; capture: string } | undefined {
  if (node.type === 'alternation') {
    for (const alternative of node.alternatives) {
      const found = greedyBeforeCapture(alternative);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const items = node.type === 'concat' ? node.items : [node];
  let before: string | undefined;
  for (const [i, item] of items.entries()) {
    const broad = broadRepeat(item);
    if (broad !== undefined) before = broad;
    const captured = firstCapture(item);
    if (captured !== undefined && before !== undefined && !anchoredAtEnd(items.slice(i + 1))) {
      return { before, capture: captured.name };
    }
  }
  return undefined;
}

function broadRepeat(node: RegexNode): string | undefined {
  if (node.type !== 'repeat' || !node.greedy || node.max !== Number.POSITIVE_INFINITY)
    return undefined;
  const body = node.body.type === 'group' ? node.body.body : node.body;
  const suffix = node.min === 0 ? '*' : '+';
  if (body.type === 'dot') return `.${suffix}`;
  // A negated class that still takes spaces can span the words an attacker controls.
  if (body.type === 'class' && body.negated && takesSpace(body))
    return `${body.text ?? '[^…]'}${suffix}`;
  return undefined;
}

function takesSpace(node: RegexNode): boolean {
  return takes(node, ' ');
}

/** Asks V8 rather than resolving the class: that would build Unicode tables for one answer. */
function takes(node: RegexNode, char: string): boolean {
  const js = toJavaScript(node);
  return new RegExp(`^(?:${js.source})$`, js.flags).test(char);
}

function firstCapture(node: RegexNode): CaptureNode | undefined {
  if (node.type === 'capture') return node;
  for (const child of children(node)) {
    const found = firstCapture(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

function anchoredAtEnd(items: readonly RegexNode[]): boolean {
  const last = items[items.length - 1];
  return last?.type === 'assertion' && (last.kind === 'endText' || last.kind === 'endLine');
}

/** Used by tests and `test-config`: the cost of a tree as the engine sees it. */
export function costOf(node: RegexNode): Cost {
  return worstCase(anchorLeadingDotStar(node));
}
