// Checks what parseRegex() refuses, with the exact message and offset, and the tree it builds
// for pattern references. Rows: source, message, offset.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegexError } from '../errors.js';
import { parseRegex } from './parse.js';
import { normaliseName, resolveProperty, tableNames } from './unicode-names.js';

const NESTED = 'groups, classes and repetitions nest deeper than 250 levels';
const NO_SURROGATES = "Rust's regex has no class of surrogates, which are not characters";
const NO_UNKNOWN = "Rust's regex has no table for the Unknown script";

const REFUSED: readonly (readonly [source: string, message: string, offset: number])[] = [
  ['a(b', 'unclosed group', 1],
  ['a)b', 'unopened group', 1],
  ['[ab', 'unclosed character class', 0],
  ['a(?=b)', 'look-around is not supported (the Rust regex syntax has none)', 1],
  ['a(?!b)', 'look-around is not supported (the Rust regex syntax has none)', 1],
  ['(?<=a)b', 'look-around is not supported (the Rust regex syntax has none)', 0],
  ['(?<!a)b', 'look-around is not supported (the Rust regex syntax has none)', 0],
  ['(a)\\1', 'backreferences are not supported (the Rust regex syntax has none)', 3],
  ['\\0', 'backreferences are not supported (the Rust regex syntax has none)', 0],
  ['(?P=n)', 'backreferences are not supported (the Rust regex syntax has none)', 0],
  ['(?>a)', 'atomic groups are not supported (the Rust regex syntax has none)', 0],
  ['a\\e', 'unrecognized escape sequence "\\e"', 1],
  ['\\k<a>', 'unrecognized escape sequence "\\k"', 0],
  ['a\\', 'incomplete escape sequence at the end of the regex', 1],
  ['*a', 'repetition operator "*" has nothing to repeat', 0],
  ['a|+', 'repetition operator "+" has nothing to repeat', 2],
  ['(?i)*', 'repetition operator "*" has nothing to repeat', 4],
  ['{2}', 'repetition operator "{" has nothing to repeat', 0],
  ['a{3,2}', 'invalid repetition range "{3,2}": the minimum is above the maximum', 1],
  ['a{1001}', 'repetition count 1001 is above the limit of 1000', 1],
  ['a{2', 'unclosed counted repetition', 1],
  ['a{x}', 'repetition count must be a decimal number', 2],
  ['a{,5}', 'repetition count must be a decimal number', 4],
  ['\\x{110000}', 'hexadecimal escape "110000" is not a Unicode scalar value', 0],
  ['\\x{D800}', 'hexadecimal escape "D800" is not a Unicode scalar value', 0],
  ['\\xZZ', 'invalid hexadecimal digit "Z"', 2],
  ['\\x{}', 'empty hexadecimal escape', 0],
  ['\\p{Foo}', 'unknown Unicode class "Foo"', 0],
  ['a\\p{^L}', 'unknown Unicode class "^L"', 1],
  ['\\p{Script}', 'unknown Unicode class "Script"', 0],
  ['\\p{sc=Elvish}', 'unknown Unicode class "sc=Elvish"', 0],
  [
    '\\p{Hyphen}',
    'Unicode property Hyphen cannot be honoured: JavaScript regexes have no table for it',
    0,
  ],
  [
    '\\p{wb=LF}',
    'Unicode property Word_Break cannot be honoured: JavaScript regexes have no table for it',
    0,
  ],
  ['\\pL\\p\\', 'invalid Unicode class', 5],
  ['\\p{Cs}', `unknown Unicode property value "Cs": ${NO_SURROGATES}`, 0],
  ['\\P{Surrogate}', `unknown Unicode property value "Surrogate": ${NO_SURROGATES}`, 0],
  ['\\p{gc:surrogate}', `unknown Unicode property value "gc=surrogate": ${NO_SURROGATES}`, 0],
  ['[a\\p{Cs}]', `unknown Unicode property value "Cs": ${NO_SURROGATES}`, 2],
  ['\\p{Zzzz}', `unknown Unicode property value "Zzzz": ${NO_UNKNOWN}`, 0],
  ['\\p{sc=Unknown}', `unknown Unicode property value "sc=Unknown": ${NO_UNKNOWN}`, 0],
  ['\\p{scx!=Zzzz}', `unknown Unicode property value "scx=Zzzz": ${NO_UNKNOWN}`, 0],
  ['\\p{Sidetic}', 'unknown Unicode class "Sidetic"', 0],
  ['\\p{sc=Tai_Yo}', 'unknown Unicode class "sc=Tai_Yo"', 0],
  [
    '\\p{MCM}',
    'Unicode property Modifier_Combining_Mark cannot be honoured: JavaScript regexes have no table for it',
    0,
  ],
  ['(?z)', 'unrecognized flag "z"', 2],
  ['(?ii)', 'duplicate flag "i"', 3],
  ['(?i-)', 'flag negation "-" is followed by no flag', 3],
  ['(?-i-m)', 'flag negation "-" is repeated', 4],
  ['(?i', 'unclosed group', 0],
  ['(?)', 'empty flag group "(?)"', 0],
  ['(?P<n>a)(?P<n>b)', 'duplicate group name "n"', 8],
  ['(?P<>a)', 'empty group name', 4],
  ['(?P<a-b>a)', 'invalid character "-" in group name', 5],
  ['(?P<a', 'unclosed group name', 4],
  ['[z-a]', 'invalid character class range "z-a": the start is after the end', 1],
  ['[\\d-z]', 'invalid range boundary: ranges need single characters', 1],
  ['[\\b]', 'this escape sequence cannot appear in a character class', 1],
  [
    '\\b{foo}',
    'unknown special word boundary "\\b{foo}" (expected start, end, start-half or end-half)',
    0,
  ],
  ['\\b{start', 'unclosed special word boundary', 2],
  ['(?-u).', '"." can match invalid UTF-8 under (?-u), which Rust refuses', 5],
  ['(?-u)\\pL', 'Unicode classes need Unicode mode, which (?-u) turned off', 5],
  ['(?-u)[^a]', 'this class can match invalid UTF-8, which Rust refuses under (?-u)', 5],
  ['(?-u)\\xFF', '"\\x" above 7F can match invalid UTF-8 under (?-u), which Rust refuses', 5],
  ['(?i-u)é', 'non-ASCII text needs Unicode mode, which (?-u) turned off', 6],
  ['a(?-u:é)', 'non-ASCII text needs Unicode mode, which (?-u) turned off', 6],
  ['(?-u)\\x{e9}', 'non-ASCII text needs Unicode mode, which (?-u) turned off', 5],
  ['(?-u)😀', 'non-ASCII text needs Unicode mode, which (?-u) turned off', 5],
  [`${'('.repeat(251)}${')'.repeat(251)}`, NESTED, 250],
  [`${'('.repeat(10000)}a${')'.repeat(10000)}`, NESTED, 250],
  [`${'['.repeat(251)}a${']'.repeat(251)}`, NESTED, 250],
  [`a${'{1}'.repeat(251)}`, NESTED, 751],
  [`${'('.repeat(200)}${'a?'.repeat(3)}${'*'.repeat(50)})`, NESTED, 255],
  [
    `(?:(?:a{1}){1}){1}${'|'.repeat(10001)}`,
    'regex too large: more than 10000 alternatives',
    10018,
  ],
  ['a'.repeat(100001), 'regex too large: more than 100000 characters', 100000],
];

for (const [source, message, offset] of REFUSED) {
  const shown =
    source.length > 60 ? `${source.slice(0, 24)}… (${source.length} characters)` : source;
  test(`parseRegex() refuses ${JSON.stringify(shown)} with "${message}"`, () => {
    assert.throws(
      () => parseRegex(source),
      (error: unknown) => {
        assert.ok(error instanceof RegexError);
        assert.deepEqual([error.message, error.offset], [message, offset]);
        return true;
      },
    );
  });
}

test('parseRegex() reads <name> as a pattern reference only for known names', () => {
  const node = parseRegex('<<ip>:<port>>', { patternNames: new Set(['ip']) });
  assert.equal(node.type, 'concat');
  const items = node.type === 'concat' ? node.items : [];
  assert.deepEqual(items.slice(0, 2), [
    { type: 'literal', codePoint: 0x3c, caseInsensitive: false },
    { type: 'patternRef', name: 'ip', offset: 1 },
  ]);
  assert.equal(items.filter((item) => item.type === 'patternRef').length, 1);
});

test('parseRegex() reads \\b{2} as a repeated word boundary, as Rust does', () => {
  const node = parseRegex('\\b{2}');
  assert.deepEqual([node.type, node.type === 'repeat' ? node.min : -1], ['repeat', 2]);
});

test('parseRegex() keeps a user group non-capturing', () => {
  assert.deepEqual(parseRegex('(?P<user>a)'), {
    type: 'group',
    body: { type: 'literal', codePoint: 97, caseInsensitive: false },
  });
});

const NAMES: readonly (readonly [name: string, normal: string])[] = [
  ['Greek', 'greek'],
  ['IsGreek', 'greek'],
  ['White_Space', 'whitespace'],
  ['white-space', 'whitespace'],
  ['Is C', 'isc'],
  ['Decimal Number', 'decimalnumber'],
];

for (const [name, normal] of NAMES) {
  test(`normaliseName() reads ${JSON.stringify(name)} loosely as ${JSON.stringify(normal)}`, () => {
    assert.equal(normaliseName(name), normal);
  });
}

test('resolveProperty() reads "sc" and "cf" as categories, as Rust does', () => {
  assert.deepEqual(
    ['sc', 'cf', 'lc'].map((name) => resolveProperty(name, undefined)),
    ['Sc', 'Cf', 'LC'].map((value) => ({ ok: true, property: { kind: 'generalCategory', value } })),
  );
});

test('tableNames() lists only scripts and categories V8 compiles, by every alias', () => {
  const { scripts, categories } = tableNames();
  const failing = [
    ...scripts.flat().filter((name) => !compiles(`\\p{Script=${name}}`)),
    ...categories
      .flatMap((row) => row.slice(0, 2))
      .filter((name) => !compiles(`\\p{General_Category=${name}}`)),
  ];
  assert.deepEqual(failing, []);
});

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}
