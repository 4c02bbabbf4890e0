// Owns the search for a literal text that every match must contain, for an indexOf pre-filter.
// Receives a RegexNode; case-insensitive letters and opaque patterns break literals.
// Sends the longest such text found through concatenations and common alternatives.

import type { RegexNode } from './ast.js';
import { soleMember } from './charset.js';
import { resolveClass } from './class-set.js';

/** What every match of a node holds: all of it (`exact`), its start, its end, and inside. */
interface Facts {
  readonly exact: string | null;
  readonly prefix: string;
  readonly suffix: string;
  readonly inner: string;
}

const NOTHING: Facts = { exact: null, prefix: '', suffix: '', inner: '' };
const EMPTY: Facts = { exact: '', prefix: '', suffix: '', inner: '' };
/** Longer literals add little to a pre-filter and cost memory when repeated. */
const MAX_LITERAL = 256;

export function requiredLiteral(node: RegexNode): string | null {
  const facts = factsOf(node);
  const found = longest([facts.exact ?? '', facts.prefix, facts.suffix, facts.inner]);
  return [...found].length >= 2 ? found : null;
}

function factsOf(node: RegexNode): Facts {
  switch (node.type) {
    case 'literal':
      return node.caseInsensitive ? NOTHING : exact(String.fromCodePoint(node.codePoint));
    case 'class':
      return classFacts(node);
    case 'assertion':
    case 'look':
    case 'empty':
      return EMPTY;
    case 'group':
    case 'capture':
      return factsOf(node.body);
    case 'concat':
      return node.items.map(factsOf).reduce(sequence, EMPTY);
    case 'alternation':
      return choice(node.alternatives.map(factsOf));
    case 'repeat':
      return repeat(factsOf(node.body), node.min, node.max);
    case 'dot':
    case 'patternRef':
      return NOTHING;
  }
}

function exact(text: string): Facts {
  return { exact: text, prefix: text, suffix: text, inner: text };
}

/** Only a class of one code point is a literal; property classes are never that small. */
function classFacts(node: RegexNode & { type: 'class' }): Facts {
  // Case folding needs Unicode tables, and a folded class is never a single code point.
  if (node.caseInsensitive || !node.items.every((item) => item.kind === 'range')) return NOTHING;
  const sole = soleMember(resolveClass(node));
  return sole === null ? NOTHING : exact(String.fromCodePoint(sole));
}

function sequence(a: Facts, b: Facts): Facts {
  if (a.exact !== null && b.exact !== null) return exact(clip(a.exact + b.exact));
  const joint = clip((a.exact ?? a.suffix) + (b.exact ?? b.prefix));
  const prefix = a.exact !== null ? joint : a.prefix;
  const suffix = b.exact !== null ? joint : b.suffix;
  return { exact: null, prefix, suffix, inner: longest([a.inner, b.inner, joint]) };
}

function choice(branches: readonly Facts[]): Facts {
  const first = branches[0]!;
  if (branches.every((b) => b.exact !== null && b.exact === first.exact)) return first;
  const prefix = common(
    branches.map((b) => b.exact ?? b.prefix),
    'start',
  );
  const suffix = common(
    branches.map((b) => b.exact ?? b.suffix),
    'end',
  );
  const shared = commonSubstring(branches.map((b) => longest([b.exact ?? '', b.inner])));
  return { exact: null, prefix, suffix, inner: longest([prefix, suffix, shared]) };
}

function repeat(body: Facts, min: number, max: number): Facts {
  if (max === 0) return EMPTY;
  if (min === 0) return NOTHING;
  if (body.exact !== null) {
    const required = clip(body.exact.repeat(Math.min(min, MAX_LITERAL)));
    return min === max
      ? exact(required)
      : { exact: null, prefix: required, suffix: required, inner: required };
  }
  return { ...body, exact: null };
}

function clip(text: string): string {
  return text.length > MAX_LITERAL ? text.slice(0, MAX_LITERAL) : text;
}

function longest(texts: readonly string[]): string {
  return texts.reduce((a, b) => (b.length > a.length ? b : a), '');
}

function common(texts: readonly string[], side: 'start' | 'end'): string {
  const chars = texts.map((text) => [...text]);
  const pick = (list: string[], i: number) =>
    side === 'start' ? list[i] : list[list.length - 1 - i];
  const shortest = chars.reduce((n, list) => Math.min(n, list.length), Infinity);
  let n = 0;
  while (n < shortest && chars.every((list) => pick(list, n) === pick(chars[0]!, n))) n++;
  const base = chars[0]!;
  return (side === 'start' ? base.slice(0, n) : base.slice(base.length - n)).join('');
}

/** The longest text found in all of `texts` (they are short: a quadratic search is fine). */
function commonSubstring(texts: readonly string[]): string {
  const [first = '', ...rest] = texts;
  let found = '';
  for (let start = 0; start < first.length; start++) {
    for (let end = first.length; end > start + found.length; end--) {
      const candidate = first.slice(start, end);
      if (rest.every((text) => text.includes(candidate))) {
        found = candidate;
        break;
      }
    }
  }
  return found;
}
