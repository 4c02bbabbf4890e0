// Checks the analyses on tables of regexes: worstCase() verdicts and reasons,
// requiredLiteral() pre-filters, and anchorLeadingDotStar() rewrites.
// `<ip>` stands for a capture of an IPv4 address, as riposte's patterns substitute it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anchorLeadingDotStar, requiredLiteral, worstCase } from './analyse.js';
import { capture, type RegexNode } from './ast.js';
import { toJavaScript } from './emit.js';
import { parseRegex } from './parse.js';

const IP = capture('ip', parseRegex('(?:[0-9]{1,3}\\.){3}[0-9]{1,3}'));

function build(source: string): RegexNode {
  const replace = (node: RegexNode): RegexNode => {
    switch (node.type) {
      case 'patternRef':
        return IP;
      case 'group':
      case 'capture':
      case 'repeat':
      case 'look':
        return { ...node, body: replace(node.body) };
      case 'concat':
        return { ...node, items: node.items.map(replace) };
      case 'alternation':
        return { ...node, alternatives: node.alternatives.map(replace) };
      default:
        return node;
    }
  };
  return replace(parseRegex(source, { patternNames: new Set(['ip']) }));
}

const COSTS: readonly (readonly [regex: string, kind: string, degree: number])[] = [
  ['abc', 'linear', 1],
  ['^abc', 'linear', 1],
  ['abc.*', 'linear', 1],
  ['^.* from <ip>', 'linear', 1],
  ['^Failed password for \\S+ from <ip>$', 'linear', 1],
  ['^(?:[0-9]{1,3}\\.){3}[0-9]{1,3}$', 'linear', 1],
  ['Failed password for \\S+ from <ip>', 'polynomial', 2],
  ['authentication failure;.*rhost=<ip>', 'polynomial', 2],
  ['Failed password for .* from <ip>', 'polynomial', 2],
  ['Invalid user .* from <ip>', 'polynomial', 2],
  ['banner exchange: Connection from <ip> port [0-9]*: invalid format', 'polynomial', 2],
  ['\\d+$', 'polynomial', 2],
  ['(\\w+\\s)+x', 'polynomial', 2],
  ['.* from .* port <ip>', 'polynomial', 3],
  ['.*a.*b.*c', 'polynomial', 4],
  ['(a+)+', 'exponential', Number.POSITIVE_INFINITY],
  ['(a|a)*', 'exponential', Number.POSITIVE_INFINITY],
  ['(\\w+\\s?)+', 'exponential', Number.POSITIVE_INFINITY],
  ['(\\w|\\d)+$', 'exponential', Number.POSITIVE_INFINITY],
  ['(.*,)*x', 'exponential', Number.POSITIVE_INFINITY],
  ['(a*)*', 'exponential', Number.POSITIVE_INFINITY],
];

for (const [regex, kind, degree] of COSTS) {
  test(`worstCase() rates ${regex} ${kind} of degree ${degree}`, () => {
    const cost = worstCase(build(regex));
    assert.deepEqual([cost.kind, cost.degree], [kind, degree]);
  });
}

test('worstCase() drops the start-position degree for an anchored search', () => {
  assert.equal(worstCase(build('Invalid user .* from <ip>'), { anchoredSearch: true }).degree, 1);
});

test('worstCase() explains two ".*" in words', () => {
  assert.equal(
    worstCase(build('.* from .* port <ip>')).reason,
    'two ".*" in sequence can both match the same text, and an unanchored search tries them from every start position: about n^3 steps for a line of n characters',
  );
});

test('worstCase() names the repeated group of an exponential regex', () => {
  assert.equal(
    worstCase(build('(\\w+\\s?)+')).reason,
    '"(\\w+\\s?)+" repeats a group whose repetitions can share out the same text in many ways: a hostile line can take exponential time',
  );
});

test('worstCase() rates a 500-way alternation of literals linear', () => {
  const words = Array.from({ length: 500 }, (_, i) => `word${i}`).join('|');
  assert.equal(worstCase(build(words)).kind, 'linear');
});

test('worstCase() counts up to a cap of n^10 on a 5,000-character regex', () => {
  const cost = worstCase(build('Failed password for .* from \\S+ port \\d+ '.repeat(120)));
  assert.deepEqual(
    [cost.degree, cost.reason?.endsWith('at least n^11 steps for a line of n characters')],
    [11, true],
  );
});

test('worstCase() keeps the degree of branches merged from a wide alternation', () => {
  const users = Array.from({ length: 100 }, (_, i) => `user${i} from \\S+ port`).join('|');
  assert.equal(worstCase(build(users)).degree, 2);
});

test('worstCase() gives no reason for a linear regex', () => {
  assert.equal(worstCase(build('^abc')).reason, null);
});

const LITERALS: readonly (readonly [regex: string, literal: string | null])[] = [
  ['Failed password for .* from <ip>', 'Failed password for '],
  ['authentication failure;.*rhost=<ip>', 'authentication failure;'],
  ['x(?:foo|far)y', 'xf'],
  ['(?:error|fatal): disk', ': disk'],
  ['(?:abc|abd)+', 'ab'],
  ['(?i)failed password', null],
  ['a(?i:b)c', null],
  ['(?i)failed: 42', ': 42'],
  ['[.][.]', '..'],
  ['(?:ab){2}', 'abab'],
  ['(?:ab)?cd', 'cd'],
  ['.*', null],
  ['a|b', null],
];

for (const [regex, literal] of LITERALS) {
  test(`requiredLiteral() finds ${JSON.stringify(literal)} in ${regex}`, () => {
    assert.equal(requiredLiteral(build(regex)), literal);
  });
}

const ANCHORS: readonly (readonly [regex: string, source: string])[] = [
  ['.* from <ip>', '^[^\\n]* from ((?:[0-9]{1,3}\\.){3}[0-9]{1,3})'],
  ['(?s).*x', '^[^]*x'],
  ['(?:.*a|.*b)', '^(?:[^\\n]*a|[^\\n]*b)'],
  ['(.*)x', '^[^\\n]*x'],
  ['.*?x', '[^\\n]*?x'],
  ['.+x', '[^\\n]+x'],
  ['x.*', 'x[^\\n]*'],
  ['(?:.*a|b)', '[^\\n]*a|b'],
  ['(?R).*x', '[^\\n\\r]*x'],
  ['^.*x', '^[^\\n]*x'],
];

for (const [regex, source] of ANCHORS) {
  test(`anchorLeadingDotStar() turns ${regex} into ${source}`, () => {
    assert.equal(toJavaScript(anchorLeadingDotStar(build(regex))).source, source);
  });
}

test('anchorLeadingDotStar() keeps the matches of a line', () => {
  const line = 'sshd: Invalid user admin from 10.0.0.1 from 10.0.0.2';
  const plain = toJavaScript(build('.* from <ip>'));
  const anchored = toJavaScript(anchorLeadingDotStar(build('.* from <ip>')));
  const run = (e: { source: string; flags: string }) =>
    new RegExp(e.source, e.flags).exec(line)?.slice(0);
  assert.deepEqual(run(anchored), run(plain));
});

/** The hostile lines of measure.ts, small enough for V8 to finish at once on any machine. */
const HOSTILE: readonly (readonly [regex: string, unit: string, degree: number])[] = [
  ['authentication failure;.*rhost=<ip>', 'authentication failure;rhost=1.2.3 ', 2],
  ['Failed password for .* from <ip>', 'Failed password for x from 1.2.3 ', 2],
  ['Invalid user .* from <ip>', 'Invalid user x from 1.2.3 ', 2],
  ['banner exchange: Connection from <ip> port [0-9]*: invalid format', '1234567890', 2],
  ['.* from .* port <ip>', ' from x port 1.2.3', 3],
];

for (const [regex, unit, degree] of HOSTILE) {
  test(`worstCase() gives degree ${degree} to ${regex}, whose hostile line both engines reject`, async () => {
    const { toRe2 } = await import('./emit.js');
    const { default: RE2 } = await import('re2');
    const node = build(regex);
    const line = unit.repeat(Math.ceil(512 / unit.length));
    const js = toJavaScript(node);
    const re2 = toRe2(node);
    assert.deepEqual(
      [
        worstCase(node).degree,
        new RegExp(js.source, js.flags).exec(line),
        new RE2(re2.source, re2.flags).exec(line),
      ],
      [degree, null, null],
    );
  });
}
