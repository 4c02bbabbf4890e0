// Owns the meaning of class nodes: Perl and POSIX classes, and the exact set a class denotes.
// Receives ClassNodes from the parser (to build them) and from emitters and analyses (to read).
// Sends CharSets computed with Rust's rules: fold each bracket before negating it.

import type { ClassItem, ClassNode, UnicodeProperty } from './ast.js';
import {
  type CharSet,
  complement,
  equals,
  intersect,
  normalise,
  type Range,
  subtract,
  symmetricDifference,
  union,
} from './charset.js';
import { caseFold, propertySet } from './unicode-sets.js';

export type PerlKind = 'digit' | 'space' | 'word';

const gc = (value: string): ClassItem => ({
  kind: 'property',
  property: { kind: 'generalCategory', value },
});
const binary = (value: string): ClassItem => ({
  kind: 'property',
  property: { kind: 'binary', value },
});

/** UTS#18 Annex C, as Rust defines \d, \s and \w in Unicode mode. */
const UNICODE_PERL: Readonly<Record<PerlKind, readonly ClassItem[]>> = {
  digit: [gc('Nd')],
  space: [binary('White_Space')],
  word: [binary('Alphabetic'), gc('M'), gc('Nd'), gc('Pc'), binary('Join_Control')],
};

const POSIX: ReadonlyMap<string, CharSet> = new Map<string, CharSet>([
  ['alnum', ranges('09AZaz')],
  ['alpha', ranges('AZaz')],
  ['ascii', [[0, 0x7f]]],
  [
    'blank',
    normalise([
      [9, 9],
      [32, 32],
    ]),
  ],
  [
    'cntrl',
    [
      [0, 0x1f],
      [0x7f, 0x7f],
    ],
  ],
  ['digit', ranges('09')],
  ['graph', ranges('!~')],
  ['lower', ranges('az')],
  ['print', ranges(' ~')],
  ['punct', ranges('!/:@[`{~')],
  [
    'space',
    normalise([
      [9, 13],
      [32, 32],
    ]),
  ],
  ['upper', ranges('AZ')],
  ['word', ranges('09AZ__az')],
  ['xdigit', ranges('09AFaf')],
]);

/** Reads "azAZ" as the ranges a-z and A-Z. */
function ranges(pairs: string): CharSet {
  const result: Range[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    result.push([pairs.charCodeAt(i), pairs.charCodeAt(i + 1)]);
  }
  return normalise(result);
}

export function posixSet(name: string): CharSet | undefined {
  return POSIX.get(name);
}

export function rangeItems(set: CharSet): ClassItem[] {
  return set.map(([from, to]) => ({ kind: 'range', from, to }));
}

/** The Perl classes fold to themselves, so they never need the case-insensitive flag. */
export function perlClass(kind: PerlKind, negated: boolean, unicode: boolean, text: string) {
  const items = unicode ? UNICODE_PERL[kind] : rangeItems(POSIX.get(kind)!);
  const node: ClassNode = { type: 'class', items, negated, caseInsensitive: false, text };
  return node;
}

export function unicodeWordClass(): ClassNode {
  return perlClass('word', false, true, '\\w');
}

export function asciiWordClass(): ClassNode {
  return perlClass('word', false, false, '[0-9A-Za-z_]');
}

const resolved = new WeakMap<ClassNode, CharSet>();

/** The exact set of code points the class matches, as Rust computes it. */
export function resolveClass(node: ClassNode): CharSet {
  let set = resolved.get(node);
  if (set === undefined) {
    set = node.items.map(resolveItem).reduce(union, []);
    if (node.caseInsensitive) set = caseFold(set);
    if (node.negated) set = complement(set);
    resolved.set(node, set);
  }
  return set;
}

function resolveItem(item: ClassItem): CharSet {
  switch (item.kind) {
    case 'range':
      return normalise([[item.from, item.to]]);
    case 'property':
      return propertySet(item.property);
    case 'class':
      return resolveClass(item.class);
    case 'setOperation': {
      const left = resolveClass(item.left);
      const right = resolveClass(item.right);
      if (item.op === 'intersection') return intersect(left, right);
      if (item.op === 'difference') return subtract(left, right);
      return symmetricDifference(left, right);
    }
  }
}

export interface FlatClass {
  readonly ranges: CharSet;
  readonly properties: readonly UnicodeProperty[];
}

/** The items as plain ranges and properties, or null when set logic needs computing. */
export function flatten(node: ClassNode): FlatClass | null {
  const found: Range[] = [];
  const properties: UnicodeProperty[] = [];
  const visit = (items: readonly ClassItem[]): boolean =>
    items.every((item) => {
      if (item.kind === 'range') found.push([item.from, item.to]);
      else if (item.kind === 'property') properties.push(item.property);
      else if (item.kind === 'class' && !item.class.negated) return visit(item.class.items);
      else return false;
      return true;
    });
  return visit(node.items) ? { ranges: normalise(found), properties } : null;
}

/** True when case-insensitive matching could not change what the class matches. */
export function isClosedUnderFolding(node: ClassNode): boolean {
  const set = resolveClass(node);
  return equals(caseFold(set), set);
}

/** Whether knowing the class exactly needs Unicode tables (properties, case folding). */
export function needsTables(node: ClassNode): boolean {
  return (
    node.caseInsensitive ||
    node.items.some(
      (item) =>
        item.kind === 'property' ||
        (item.kind === 'class' && needsTables(item.class)) ||
        (item.kind === 'setOperation' && (needsTables(item.left) || needsTables(item.right))),
    )
  );
}
