// compileEngine() on trees built here: the line length up to which V8 runs each cost, the
// literal pre-filter, the switch to RE2 one character past the limit, regexes kept on RE2
// (`linearOnly`), captures that took no part, and RE2's captures checked by `verify`, with
// the retries that look further and the `prepare` that rules them out at once.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alternation, capture, concat, look, type RegexNode } from './ast.js';
import { type Cost, compileEngine, v8LineLimit } from './engine.js';
import { parseRegex } from './parse.js';

/** `before` `(?<v>body)` `after`, each part in the configuration dialect. */
function tree(before: string, body: string, after = ''): RegexNode {
  return concat([parseRegex(before), capture('v', parseRegex(body)), parseRegex(after)]);
}

describe('v8LineLimit()', () => {
  const rows: readonly [string, Cost['kind'], number, number][] = [
    ['a linear regex: any length', 'linear', 1, Number.POSITIVE_INFINITY],
    ['degree 2: 4 KiB', 'polynomial', 2, 4096],
    ['degree 3: 512 characters', 'polynomial', 3, 512],
    ['degree 4: never', 'polynomial', 4, 0],
    ['exponential: never', 'exponential', Number.POSITIVE_INFINITY, 0],
  ];
  for (const [name, kind, degree, limit] of rows) {
    test(`v8LineLimit() gives ${name}`, () => {
      assert.equal(v8LineLimit({ kind, degree, reason: kind === 'linear' ? null : 'why' }), limit);
    });
  }
});

describe('compileEngine()', () => {
  test('compileEngine() runs a linear regex on V8 at any length, and gives its captures', () => {
    const engine = compileEngine(tree('from ', '[0-9]', ' port'));
    assert.equal(engine.cost.kind, 'linear');
    assert.equal(engine.v8Limit, Number.POSITIVE_INFINITY);
    assert.deepEqual(engine.captures, ['v']);
    assert.equal(engine.literal, 'from ');
    assert.deepEqual(engine.exec('x from 4 port 22'), ['4']);
    assert.deepEqual(engine.exec(`${'y'.repeat(100_000)} from 7 port`), ['7']);
    assert.equal(engine.exec('from x port'), undefined);
    assert.equal(engine.exec('nothing'), undefined);
  });

  test('compileEngine() runs a quadratic regex on V8 up to 4 KiB and on RE2 one character past it', () => {
    const engine = compileEngine(tree('.*a.*b', '\\d+'));
    assert.deepEqual([engine.cost.kind, engine.cost.degree], ['polynomial', 2]);
    assert.equal(engine.v8Limit, 4096);
    for (const length of [4096, 4097]) {
      const line = `a b7${'z'.repeat(length - 4)}`;
      assert.equal(line.length, length);
      assert.deepEqual(engine.exec(line), ['7'], `at ${length} characters`);
    }
  });

  test('compileEngine() keeps a regex that is not linear on RE2 at every length with linearOnly', () => {
    const engine = compileEngine(tree('.*a.*b', '\\d+'), { linearOnly: true });
    assert.equal(engine.v8Limit, 0);
    assert.deepEqual(engine.exec('a b7'), ['7']);
    const linear = compileEngine(tree('a', '\\d+'), { linearOnly: true });
    assert.equal(linear.v8Limit, Number.POSITIVE_INFINITY);
  });

  test('compileEngine() answers no match without running a regex when the line lacks the literal', () => {
    const engine = compileEngine(tree('Failed password for ', '\\S+'));
    assert.equal(engine.literal, 'Failed password for ');
    assert.equal(engine.exec('Failed password fo root'), undefined);
    assert.deepEqual(engine.exec('Failed password for root'), ['root']);
  });

  test('compileEngine() gives no match when a capture took no part in the match, on both engines', () => {
    const optional = (before: string) =>
      concat([parseRegex(before), alternation([parseRegex('a'), capture('v', parseRegex('b'))])]);
    const v8 = compileEngine(optional('x'));
    assert.equal(v8.v8Limit, Number.POSITIVE_INFINITY);
    assert.equal(v8.exec('xa'), undefined);
    assert.deepEqual(v8.exec('xb'), ['b']);
    const re2 = compileEngine(optional('(?:.*\\n)?x'), { linearOnly: true });
    assert.equal(re2.v8Limit, 0);
    assert.equal(re2.exec('xa'), undefined);
    assert.deepEqual(re2.exec('xb'), ['b']);
  });
});

describe('compileEngine() on RE2 with verify', () => {
  // A digit run not after a letter: the look-behind exists only in V8; on RE2, verify says
  // which capture is after a letter, and RE2 searches again past it.
  const node = concat([
    parseRegex('(?:.*\\n)?'),
    look(parseRegex('[a-z]'), true, true),
    capture('v', parseRegex('\\d+')),
  ]);
  const verify = (line: string, indices: readonly (readonly [number, number])[]) => {
    const start = indices[0]![0];
    return start > 0 && /[a-z]/.test(line[start - 1]!) ? 0 : -1;
  };
  const decoys = (n: number) => `${'a1 '.repeat(n)}5`;

  test('compileEngine() looks past up to 8 captures that verify rejects, not 9', () => {
    const engine = compileEngine(node, { linearOnly: true, verify });
    assert.equal(engine.v8Limit, 0);
    assert.deepEqual(engine.exec('5'), ['5']);
    assert.deepEqual(engine.exec(decoys(1)), ['5']);
    assert.deepEqual(engine.exec(decoys(8)), ['5']);
    assert.equal(engine.exec(decoys(9)), undefined);
    assert.equal(engine.exec('a1 b2'), undefined);
  });

  test('compileEngine() gives V8 the same line, with its look-behind', () => {
    const engine = compileEngine(node, { verify: () => assert.fail('verify is for RE2') });
    assert.ok(engine.v8Limit > 100);
    assert.deepEqual(engine.exec(decoys(20)), ['5']);
  });

  test('compileEngine() prepares the line once, after the first rejected capture only', () => {
    const prepared: string[] = [];
    const prepare = (line: string) => {
      prepared.push(line);
      return line.replace(/[a-z]\d/g, (m) => `${m[0]}x`);
    };
    const engine = compileEngine(node, { linearOnly: true, verify, prepare });
    assert.deepEqual(engine.exec('7'), ['7']);
    assert.deepEqual(prepared, []);
    assert.deepEqual(engine.exec(decoys(20)), ['5']);
    assert.deepEqual(prepared, [decoys(20)]);
  });

  test('compileEngine() does not verify the captures of a regex without look-arounds', () => {
    const plain = concat([parseRegex('(?:.*\\n)?'), capture('v', parseRegex('\\d+'))]);
    const engine = compileEngine(plain, {
      linearOnly: true,
      verify: () => assert.fail('nothing to verify'),
      prepare: () => assert.fail('nothing to prepare'),
    });
    assert.deepEqual(engine.exec('a1'), ['1']);
  });
});
