// regex.wholeMatcher(): a whole-text test on the engines of filter regexes, as tables of
// (regex, text, matches) and of (regex, options, line length up to which V8 runs it).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { regex } from './index.js';

const matches: readonly [source: string, text: string, whole: boolean][] = [
  ['a|b', 'a', true],
  ['a|b', 'ab', false],
  ['[a-z]+', 'bob', true],
  ['[a-z]+', 'bob eve', false],
  ['.*', 'a\nb', false],
  ['(?s).*', 'a\nb', true],
  ['(a+)+b', 'aaab', true],
  ['(a+)+b', `${'a'.repeat(40)}c`, false],
  ['\\d{1,3}', '1234', false],
];

for (const [source, text, whole] of matches) {
  test(`wholeMatcher(${JSON.stringify(source)}).test(${JSON.stringify(text)}) is ${whole}`, () => {
    assert.equal(regex.wholeMatcher(regex.parse(source)).test(text), whole);
  });
}

const limits: readonly [source: string, linearOnly: boolean, v8Limit: number][] = [
  ['\\S+', false, Number.POSITIVE_INFINITY],
  ['\\S+', true, Number.POSITIVE_INFINITY],
  ['.*a.*b', false, 4096],
  ['.*a.*b', true, 0],
  ['x.*y.*z.*w', false, 512],
  ['(a+)+b', false, 0],
];

for (const [source, linearOnly, v8Limit] of limits) {
  test(`wholeMatcher(${JSON.stringify(source)}, { linearOnly: ${linearOnly} }) runs on V8 up to ${v8Limit} characters`, () => {
    assert.equal(regex.wholeMatcher(regex.parse(source), { linearOnly }).v8Limit, v8Limit);
  });
}

test('wholeMatcher() says what riposte does about a regex at risk, for values', () => {
  assert.deepEqual(regex.wholeMatcher(regex.parse('\\S+')).warnings, []);
  assert.deepEqual(regex.wholeMatcher(regex.parse('x.*y.*z.*w')).warnings, [
    'at risk: three ".*" in sequence can all match the same text: about n^3 steps for a line of n characters; time can grow as the value length to the power 3, so values longer than 512 characters are matched with the linear-time engine (RE2)',
  ]);
});

const starts: readonly [source: string, dash: boolean][] = [
  ['\\S+', true],
  ['[a-z_][a-z0-9_-]*', false],
  ['\\w+', false],
  ['x?-', true],
  ['(?:a|-b)', true],
  ['^-', true],
  ['a*b', false],
  ['.+', true],
  ['[^a]', true],
  ['-{0}a', false],
];

for (const [source, dash] of starts) {
  test(`canStartWith(${JSON.stringify(source)}, "-") is ${dash}`, () => {
    assert.equal(regex.canStartWith(regex.parse(source), '-'), dash);
  });
}
