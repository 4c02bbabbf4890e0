// Checks compileEngine() on lines long enough for its linear-time path: word boundaries keep
// Rust's meaning there, captures come back in the line's positions, and the regexes RE2
// cannot take are refused only when they need it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegexError } from '../errors.js';
import { capture, concat, look, type RegexNode, text } from './ast.js';
import { compileEngine } from './engine.js';
import { parseRegex } from './parse.js';

const whole = (source: string): RegexNode => capture('match', parseRegex(source));

const LONG: readonly (readonly [
  does: string,
  regex: string,
  line: string,
  match: string | null,
])[] = [
  ['ends a word at a Unicode digit', '\\d+\\s*\\d+\\b$', `${' '.repeat(4100)}1 2٣`, '1 2٣'],
  ['finds no word end between a digit and "é"', '\\d+\\b{end}', `${'é'.repeat(5000)}12é`, null],
  ['finds a boundary before "é" after a space', '(?:a|a)*\\bé', `${'x'.repeat(70000)} é`, 'é'],
  ['finds no boundary between "x" and "é"', '(?:a|a)*\\bé', `${' '.repeat(70000)}xé`, null],
  [
    'captures across characters outside the BMP',
    '\\b😀*(\\w+)\\b',
    `${'😀'.repeat(3000)} 𝐀b`,
    '𝐀b',
  ],
];

for (const [does, regex, line, match] of LONG) {
  test(`compileEngine() on a ${line.length}-character line ${does}: ${regex}`, () => {
    const engine = compileEngine(whole(regex));
    assert.ok(line.length > engine.v8Limit, 'the line must take the linear-time path');
    assert.equal(engine.exec(line)?.[0] ?? null, match);
  });
}

test('compileEngine() gives the captures of a marked line in its own positions', () => {
  const node = concat([
    parseRegex('\\b'),
    capture('name', parseRegex('\\w+')),
    text('='),
    capture('value', parseRegex('\\d+')),
    parseRegex('\\b'),
  ]);
  const engine = compileEngine(node, { engine: 're2' });
  assert.deepEqual(engine.exec('ĳ 😀 αβ=٣4 x'), ['αβ', '٣4']);
});

test('compileEngine() never lets RE2 read the marks of a line as its characters', () => {
  // Marked, "x!" is "axa!!!": read from its third character, "\\B!" would match.
  assert.deepEqual(
    ['\\B!', '\\b!', '\\B!'].map((regex, i) =>
      compileEngine(whole(regex), { engine: 're2' }).exec(i < 2 ? 'x! é' : 'x! !! é'),
    ),
    [undefined, ['!'], ['!']],
  );
});

test('compileEngine() lets verify reject a capture of a marked line and looks further', () => {
  const node = concat([
    text('id='),
    capture('n', parseRegex('\\d+')),
    look(parseRegex('!'), false, true),
    parseRegex('\\b'),
  ]);
  const verify = (line: string, indices: readonly (readonly [number, number])[]) =>
    line.slice(...indices[0]!) === '1' ? 0 : -1;
  const engine = compileEngine(node, { engine: 're2', verify });
  assert.deepEqual(engine.exec('é id=1 id=1x id=22 id=3'), ['22']);
});

const REFUSED: readonly (readonly [regex: string, message: string])[] = [
  [
    '(?m)^(?:\\w+\\s?)+\\<x',
    '\\b{start}-like word assertions together with (?m) line anchors cannot be expressed in RE2',
  ],
  [
    '(?:\\w+\\s?)+\\b(?-u:\\b)',
    'Unicode and ASCII-only (?-u) word boundaries in one regex cannot be expressed in RE2',
  ],
];

for (const [regex, message] of REFUSED) {
  test(`compileEngine() refuses ${regex}, which needs RE2: "${message}"`, () => {
    assert.throws(
      () => compileEngine(whole(regex)),
      (error: unknown) => error instanceof RegexError && error.message === message,
    );
  });
}

test('compileEngine() takes such a regex when it is linear, with V8 at every length', () => {
  const engine = compileEngine(whole('(?m)^\\<x\\b(?-u:\\b)'));
  assert.equal(engine.v8Limit, Number.POSITIVE_INFINITY);
  assert.deepEqual(engine.exec(`${'y'.repeat(100000)}\nx`), ['x']);
});

test('compileEngine() takes the widest alternation the parser allows, and matches with it', () => {
  const words = Array.from({ length: 10_001 }, (_, i) => `user${i}`).join('|');
  const engine = compileEngine(whole(`(?:${words}) from \\S+`));
  assert.deepEqual(engine.exec('user9999 from x'), ['user9999 from x']);
});

test('compileEngine() takes the deepest nesting the parser allows, on both engines', () => {
  const source = `${'(?:x|'.repeat(249)}\\d+\\b${')'.repeat(249)}`;
  for (const path of ['v8', 're2'] as const) {
    assert.deepEqual(compileEngine(whole(source), { engine: path }).exec('é 12'), ['12']);
  }
});
