// Checks that Rust regex syntax, parsed and emitted, matches in V8 and RE2 as it does in Rust.
// Each row: a Rust regex, a line, Rust's match (or null) and the first capture, if any; the
// RE2 side runs the engine's RE2 path. Rows marked `re2Refused` are ones RE2 cannot take.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import RE2 from 're2';
import { capture, type RegexNode } from './ast.js';
import { toJavaScript, toRe2 } from './emit.js';
import { compileEngine } from './engine.js';
import { parseRegex } from './parse.js';

interface Row {
  readonly does: string;
  readonly regex: string;
  readonly line: string;
  readonly match: string | null;
  readonly captured?: string;
  /** RE2 cannot express the regex: riposte refuses it when it needs RE2. */
  readonly re2Refused?: true;
}

const ROWS: readonly Row[] = [
  { does: 'keeps a literal string', regex: 'abc', line: 'xabcx', match: 'abc' },
  { does: 'stops "." at "\\n"', regex: 'a.c', line: 'a\nc', match: null },
  { does: 'lets "." match "\\r"', regex: 'a.c', line: 'a\rc', match: 'a\rc' },
  {
    does: 'lets "." match U+2028, unlike JavaScript',
    regex: 'a.c',
    line: 'a\u2028c',
    match: 'a\u2028c',
  },
  { does: 'lets (?s) "." match "\\n"', regex: '(?s)a.c', line: 'a\nc', match: 'a\nc' },
  { does: 'stops (?R) "." at "\\r"', regex: '(?R)a.c', line: 'a\rc', match: null },
  {
    does: 'reads escaped metacharacters',
    regex: '\\.\\+\\*\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\#\\&\\-\\~',
    line: 'x.+*?()[]{}|^$#&-~',
    match: '.+*?()[]{}|^$#&-~',
  },
  {
    does: 'reads superfluous escapes of ASCII punctuation',
    regex: '\\:\\/\\"\\_\\@\\ ',
    line: ':/"_@ ',
    match: ':/"_@ ',
  },
  {
    does: 'reads every hexadecimal escape',
    regex: '\\x41\\x{42}\\u0043\\u{44}\\U00000045\\U{46}',
    line: 'ABCDEF',
    match: 'ABCDEF',
  },
  { does: 'reads an astral escape', regex: '\\x{1F600}', line: 'x😀', match: '😀' },
  {
    does: 'reads control escapes',
    regex: '\\a\\f\\t\\n\\r\\v',
    line: '\x07\f\t\n\r\v',
    match: '\x07\f\t\n\r\v',
  },
  { does: 'expands \\d to Unicode decimal digits', regex: '\\d+', line: 'abc٣٤', match: '٣٤' },
  { does: 'keeps [[:digit:]] ASCII', regex: '[[:digit:]]+', line: '٣12', match: '12' },
  { does: 'expands \\w to Unicode word characters', regex: '\\w+', line: 'café!', match: 'café' },
  { does: 'negates \\W over Unicode', regex: '\\W', line: 'é!', match: '!' },
  {
    does: 'expands \\s to Unicode white space',
    regex: '\\s+',
    line: 'a\u00a0\u2003b',
    match: '\u00a0\u2003',
  },
  { does: 'negates \\S', regex: '\\S+', line: ' ab ', match: 'ab' },
  { does: 'negates \\D over Unicode digits', regex: '\\D', line: '1٣a', match: 'a' },
  { does: 'folds ß to ẞ under (?i)', regex: '(?i)straße', line: 'STRAẞE', match: 'STRAẞE' },
  {
    does: 'does not fold ß to "SS" (simple folding only)',
    regex: '(?i)straße',
    line: 'STRASSE',
    match: null,
  },
  {
    does: 'folds k to the Kelvin sign under (?i)',
    regex: '(?i)k',
    line: '\u212a',
    match: '\u212a',
  },
  { does: 'folds a titlecase digraph under (?i)', regex: '(?i)ǅ', line: 'ǆ', match: 'ǆ' },
  { does: 'reads \\p{Greek} as a script', regex: '\\p{Greek}+', line: 'abc αβγ', match: 'αβγ' },
  { does: 'reads one-letter \\pL', regex: '\\pL+', line: '123abc', match: 'abc' },
  { does: 'reads \\p{Lu} as a general category', regex: '\\p{Lu}', line: 'abC', match: 'C' },
  { does: 'negates one-letter \\PL', regex: '\\PL+', line: 'ab12', match: '12' },
  { does: 'reads \\p{Script=Greek}', regex: '\\p{Script=Greek}', line: 'aα', match: 'α' },
  { does: 'reads \\p{sc:Greek}', regex: '\\p{sc:Greek}', line: 'aα', match: 'α' },
  { does: 'reads \\p{gc=Lu}', regex: '\\p{gc=Lu}', line: 'aB', match: 'B' },
  { does: 'reads a binary property', regex: '\\p{Uppercase}', line: 'aÉ', match: 'É' },
  {
    does: 'matches names loosely',
    regex: '\\p{is_GREEK}\\p{ white-space }',
    line: 'α ',
    match: 'α ',
  },
  { does: 'reads \\p{sc!=Greek} as a negation', regex: '\\p{sc!=Greek}', line: 'αb', match: 'b' },
  { does: 'negates \\P{Greek}', regex: '\\P{Greek}', line: 'αb', match: 'b' },
  { does: 'reads ranges', regex: '[a-c]+', line: 'xabcd', match: 'abc' },
  { does: 'negates a class', regex: '[^a-c]+', line: 'abcxyz', match: 'xyz' },
  { does: 'lets a negated class match "\\n"', regex: '[^a]', line: '\n', match: '\n' },
  { does: 'reads nested classes', regex: '[a[bc]]+', line: 'xcab', match: 'cab' },
  { does: 'computes an intersection', regex: '[a-z&&[^aeiou]]+', line: 'aebcd', match: 'bcd' },
  { does: 'computes a difference', regex: '[a-z--[aeiou]]+', line: 'aebcd', match: 'bcd' },
  { does: 'computes a symmetric difference', regex: '[a-g~~c-z]+', line: 'dzab', match: 'zab' },
  { does: 'intersects Unicode classes', regex: '[\\w&&\\p{Greek}]+', line: 'aαβ', match: 'αβ' },
  { does: 'reads POSIX classes', regex: '[[:alpha:]]+', line: '12ab3', match: 'ab' },
  { does: 'reads negated POSIX classes', regex: '[[:^digit:]]+', line: '12ab3', match: 'ab' },
  { does: 'reads "]" first in a class as a literal', regex: '[]a]+', line: 'x]a', match: ']a' },
  { does: 'reads a leading "-" in a class as a literal', regex: '[-a]+', line: 'x-a', match: '-a' },
  {
    does: 'mixes properties and Perl classes in a class',
    regex: '[\\p{Greek}\\d]+',
    line: 'xα1β',
    match: 'α1β',
  },
  { does: 'anchors ^ at the start of the text', regex: '^abc', line: 'xabc', match: null },
  { does: 'anchors $ at the very end only', regex: 'a$', line: 'a\n', match: null },
  { does: 'anchors (?m) ^ and $ at lines', regex: '(?m)^b$', line: 'a\nb\nc', match: 'b' },
  { does: 'does not end a (?m) line at "\\r"', regex: '(?m)a$', line: 'a\r\nb', match: null },
  {
    does: 'ends a (?mR) line before "\\r\\n"',
    regex: '(?mR)a$',
    line: 'a\r\nb',
    match: 'a',
    re2Refused: true,
  },
  { does: 'reads \\A and \\z', regex: '\\Aab\\z', line: 'ab', match: 'ab' },
  {
    does: 'finds no empty line inside a character outside the BMP',
    regex: '(?m)^$',
    line: '😀',
    match: null,
  },
  { does: 'finds no blank line inside an emoji', regex: '(?m)^\\s*$', line: '😀', match: null },
  { does: 'still finds an empty match before an emoji', regex: 'x*', line: '😀', match: '' },
  { does: 'finds a Unicode word boundary', regex: '\\bfoo\\b', line: 'a foo b', match: 'foo' },
  {
    does: 'sees no boundary between "é" and a letter',
    regex: '\\bfoo\\b',
    line: 'éfoo',
    match: null,
  },
  { does: 'finds a word boundary before a Greek letter', regex: '\\b+', line: 'β', match: '' },
  {
    does: 'finds a word boundary between a space and "é"',
    regex: '(?:a|a)*\\bé',
    line: ' é',
    match: 'é',
  },
  {
    does: 'finds no word boundary between "x" and "é"',
    regex: '(?:a|a)*\\bé',
    line: 'xé',
    match: null,
  },
  { does: 'sees no \\B inside a letter outside the BMP', regex: '\\B', line: '𝐀', match: null },
  { does: 'finds \\B between two such letters', regex: '𝐀\\B', line: '𝐀𝐀', match: '𝐀' },
  {
    does: 'finds no word start between two Greek letters',
    regex: '\\<β.',
    line: 'αβx β!',
    match: 'β!',
  },
  {
    does: 'finds a word end before "é" only at its end',
    regex: 'x\\b{end}',
    line: 'xé x',
    match: 'x',
  },
  {
    does: 'keeps ASCII word boundaries under (?-u)',
    regex: '(?-u:\\b{start})x',
    line: 'éx',
    match: 'x',
  },
  { does: 'reads \\B', regex: '\\Boo', line: 'foo', match: 'oo' },
  {
    does: 'reads \\b{start} and \\b{end}',
    regex: '\\b{start}foo\\b{end}',
    line: 'a foo',
    match: 'foo',
  },
  { does: 'reads \\< and \\> as word start and end', regex: 'foo\\>', line: 'foobar', match: null },
  {
    does: 'reads half word boundaries',
    regex: '\\b{start-half}foo\\b{end-half}',
    line: 'foo!',
    match: 'foo',
  },
  {
    does: 'makes user groups non-capturing',
    regex: '(a)(?:b)(?P<n>c)(?<m>d)',
    line: 'abcd',
    match: 'abcd',
  },
  { does: 'repeats greedily', regex: 'a*', line: 'aaa', match: 'aaa' },
  { does: 'repeats lazily', regex: 'a+?', line: 'aaa', match: 'a' },
  {
    does: 'reads counted repetitions',
    regex: 'a{2}b{2,}c{1,2}',
    line: 'aabbbccc',
    match: 'aabbbcc',
  },
  { does: 'reads a lazy counted repetition', regex: 'a{2,3}?', line: 'aaaa', match: 'aa' },
  { does: 'allows spaces inside {n,m} as Rust does', regex: 'a{ 2 }', line: 'aaa', match: 'aa' },
  { does: 'swaps greediness under (?U)', regex: '(?U)a+', line: 'aaa', match: 'a' },
  { does: 'makes "?" greedy again under (?U)', regex: '(?U)a+?', line: 'aaa', match: 'aaa' },
  { does: 'keeps (?i) set for the next alternative', regex: 'a(?i)b|c', line: 'C', match: 'C' },
  { does: 'keeps a case-sensitive part before (?i)', regex: 'a(?i)b|c', line: 'AB', match: null },
  { does: 'scopes (?i:…) to its group', regex: '(?i:a)b', line: 'AB Ab', match: 'Ab' },
  {
    does: 'turns case-insensitivity off with (?-i)',
    regex: '(?i)a(?-i)b',
    line: 'AB Ab',
    match: 'Ab',
  },
  { does: 'folds a scoped class', regex: 'x(?i:[a-z])', line: 'xſ', match: 'xſ' },
  { does: 'folds a scoped non-ASCII letter', regex: 'x(?i:é)', line: 'xÉ', match: 'xÉ' },
  { does: 'folds before negating under (?i)', regex: '(?i)[^a]', line: 'A', match: null },
  { does: 'folds a property under (?i)', regex: '(?i)\\p{Ll}', line: 'A', match: 'A' },
  {
    does: 'ignores spaces and comments under (?x)',
    regex: '(?x) a b c # comment',
    line: 'abc',
    match: 'abc',
  },
  { does: 'keeps an escaped space under (?x)', regex: '(?x)a\\ b', line: 'a b', match: 'a b' },
  {
    does: 'ignores spaces inside a class under (?x)',
    regex: '(?x)[a b]+',
    line: 'ab ba',
    match: 'ab',
  },
  { does: 'folds ASCII only under (?i-u)', regex: '(?i-u)k', line: '\u212aK', match: 'K' },
  { does: 'keeps \\w ASCII under (?-u)', regex: '(?-u)\\w+', line: 'aé', match: 'a' },
  { does: 'matches an empty regex', regex: '(?:)', line: 'x', match: '' },
  { does: 'allows an empty alternative', regex: 'a|', line: 'b', match: '' },
  { does: 'wraps a repeated repetition', regex: 'a**b', line: 'aab', match: 'aab' },
  {
    does: 'reads <ip> inside other angle brackets',
    regex: 'Exit before auth from <<ip>:\\d+>',
    line: 'Exit before auth from <1.2.3.4:22>',
    match: 'Exit before auth from <1.2.3.4:22>',
    captured: '1.2.3.4',
  },
  {
    does: 'captures a pattern after a greedy .*',
    regex: 'Failed password for .* from <ip> port',
    line: 'Failed password for root from 10.0.0.1 port 22',
    match: 'Failed password for root from 10.0.0.1 port',
    captured: '10.0.0.1',
  },
];

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

function outcome(found: RegExpExecArray | null): { match: string | null; captured?: string } {
  if (found === null) return { match: null };
  return found[1] === undefined ? { match: found[0] } : { match: found[0], captured: found[1] };
}

function expected(row: Row): { match: string | null; captured?: string } {
  return row.captured === undefined
    ? { match: row.match }
    : { match: row.match, captured: row.captured };
}

for (const row of ROWS) {
  test(`toJavaScript() ${row.does}: ${row.regex}`, () => {
    const emitted = toJavaScript(build(row.regex));
    const found = new RegExp(emitted.source, emitted.flags).exec(row.line);
    assert.deepEqual(outcome(found), expected(row));
  });

  test(`the RE2 path ${row.does}: ${row.regex}`, () => {
    const node = capture('match', build(row.regex));
    if (row.re2Refused === true) {
      assert.throws(() => compileEngine(node, { engine: 're2' }), { name: 'RegexError' });
      return;
    }
    const found = compileEngine(node, { engine: 're2' }).exec(row.line);
    const [match = null, captured] = found ?? [];
    assert.deepEqual(captured === undefined ? { match } : { match, captured }, expected(row));
  });
}

test('toJavaScript() lists capture names in group order', () => {
  const node = parseRegex('<a>-<b>', { patternNames: new Set(['a', 'b']) });
  const named =
    node.type === 'concat'
      ? node.items.map((item) =>
          item.type === 'patternRef' ? capture(item.name, parseRegex('x')) : item,
        )
      : [];
  assert.deepEqual(toJavaScript({ type: 'concat', items: named }).captures, ['a', 'b']);
});

test('toJavaScript() uses the "i" flag only when the whole regex is case-insensitive', () => {
  assert.deepEqual(
    [toJavaScript(parseRegex('(?i)ab')), toJavaScript(parseRegex('a(?i)b'))].map((e) => [
      e.source,
      e.flags,
    ]),
    [
      ['ab', 'iu'],
      ['a[Bb]', 'u'],
    ],
  );
});

test('toJavaScript() keeps literal text readable', () => {
  assert.equal(
    toJavaScript(parseRegex('Failed password for (\\S+) from')).source,
    'Failed password for \\P{White_Space}+ from',
  );
});

test('toJavaScript() refuses a pattern reference left unsubstituted', () => {
  const node = parseRegex('a<ip>', { patternNames: new Set(['ip']) });
  assert.throws(() => toJavaScript(node), {
    name: 'RegexError',
    message: 'pattern <ip> must be substituted before emitting',
  });
});

test('toJavaScript() emits look nodes as look-arounds', () => {
  const node = {
    type: 'concat',
    items: [
      { type: 'look', behind: true, negate: true, body: parseRegex('\\d') },
      parseRegex('\\d+'),
    ],
  } as const;
  const emitted = toJavaScript(node);
  assert.equal(new RegExp(emitted.source, emitted.flags).exec('a12')?.[0], '12');
  assert.equal(emitted.source, '(?<!\\p{Nd})\\p{Nd}+');
});

test('toRe2() drops look nodes and counts them', () => {
  const look = { type: 'look', behind: false, negate: true, body: parseRegex('x') } as const;
  const emitted = toRe2({ type: 'concat', items: [parseRegex('a'), look] });
  assert.deepEqual([emitted.source, emitted.droppedLooks], ['a', 1]);
});

test('toRe2() refuses nested counts above RE2 limit', () => {
  assert.throws(() => toRe2(parseRegex('(?:a{100}){11}')), {
    name: 'RegexError',
    message: "nested counted repetitions multiply to 1100, above RE2's limit of 1000",
  });
});

test('toRe2() spells \\w with categories and few ranges', () => {
  const source = toRe2(parseRegex('\\w')).source;
  assert.ok(source.length < 400, source);
  assert.ok(new RE2(`^${source}$`, 'u').test('é'));
});
