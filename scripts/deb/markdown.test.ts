import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blocks, cells, section } from './markdown.js';

describe('section()', () => {
  const doc = [
    '# title',
    '## A',
    'a text',
    '### A.1',
    'deeper',
    '```sh',
    '## not a heading inside code',
    '```',
    '## B',
    'b text',
  ].join('\n');

  test('section() holds the subsections and code up to the next heading of its level', () => {
    const a = section(doc, 'A');
    assert.match(a, /a text/);
    assert.match(a, /### A\.1/);
    assert.match(a, /## not a heading inside code/);
    assert.doesNotMatch(a, /b text/);
  });

  test('section() of a heading the text lacks names it', () => {
    assert.throws(() => section(doc, 'C'), {
      message: 'cannot find the section "C" in the README',
    });
  });
});

describe('cells()', () => {
  const rows: readonly [string, string[]][] = [
    ['| a | b |', ['a', 'b']],
    ['|`add\\|delete`| x |', ['`add|delete`', 'x']],
    ['| `{}` | map | |', ['`{}`', 'map', '']],
  ];
  for (const [row, expected] of rows) {
    test(`cells() splits ${JSON.stringify(row)}`, () => {
      assert.deepEqual(cells(row), expected);
    });
  }
});

describe('blocks()', () => {
  test('blocks() reads paragraphs, lists with continuations, tables and code', () => {
    const md = [
      'one',
      'paragraph',
      '',
      '- item *one*',
      '  continued',
      '- item two',
      '',
      '| k | v |',
      '|---|---|',
      '| a | b |',
      '',
      '```yaml',
      '.starts with a dot',
      '```',
      '1. first',
    ].join('\n');
    assert.deepEqual(blocks(md), [
      { kind: 'paragraph', text: 'one paragraph' },
      { kind: 'list', ordered: false, items: ['item *one* continued', 'item two'] },
      { kind: 'table', header: ['k', 'v'], rows: [['a', 'b']] },
      { kind: 'code', lines: ['.starts with a dot'] },
      { kind: 'list', ordered: true, items: ['first'] },
    ]);
  });

  test('blocks() ends a paragraph where a table starts', () => {
    const md = 'text\n| k | v |\n|---|---|\n| a | b |';
    assert.deepEqual(
      blocks(md).map((b) => b.kind),
      ['paragraph', 'table'],
    );
  });
});
