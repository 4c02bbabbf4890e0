// The literal search of the hot path as tables: which lines of a block are candidates, with
// the literals each holds and where it starts; every line when there is no literal; and the
// literals a filter searches for, given those of its regexes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eachCandidate, eachLine, literalsOf } from './scan.js';

type Seen = [line: string, present: number, start: number];

function candidates(block: string, literals: string[]): Seen[] {
  const seen: Seen[] = [];
  eachCandidate(block, literals, (line, present, start) => seen.push([line, present, start]));
  return seen;
}

describe('eachCandidate()', () => {
  const rows: readonly { name: string; block: string; literals: string[]; seen: Seen[] }[] = [
    {
      name: 'the lines holding a literal, with their start',
      block: 'a fail\nnothing\nfail b\r\nlast fail',
      literals: ['fail'],
      seen: [
        ['a fail', 1, 0],
        ['fail b', 1, 15],
        ['last fail', 1, 23],
      ],
    },
    {
      name: 'a line once, with the bit of every literal it holds',
      block: 'x via y from z via\nfrom\nvia',
      literals: ['from', 'via', 'none'],
      seen: [
        ['x via y from z via', 3, 0],
        ['from', 1, 19],
        ['via', 2, 24],
      ],
    },
    {
      name: 'literals met in another order than theirs',
      block: 'b\na\nb a',
      literals: ['a', 'b'],
      seen: [
        ['b', 2, 0],
        ['a', 1, 2],
        ['b a', 3, 4],
      ],
    },
    {
      name: 'nothing in a block without the literals',
      block: 'abc\ndef',
      literals: ['x'],
      seen: [],
    },
    { name: 'nothing in an empty block', block: '', literals: ['x'], seen: [] },
    {
      name: 'a literal at the very end of the block',
      block: 'a\nb\nx',
      literals: ['x'],
      seen: [['x', 1, 4]],
    },
    {
      name: 'the "\\r" of a line removed, not one inside it',
      block: 'x\r\r\ny\rx',
      literals: ['x'],
      seen: [
        ['x\r', 1, 0],
        ['y\rx', 1, 4],
      ],
    },
  ];
  for (const row of rows) {
    test(`eachCandidate() finds ${row.name}`, () => {
      assert.deepEqual(candidates(row.block, row.literals), row.seen);
    });
  }
});

describe('eachLine()', () => {
  test('eachLine() gives every line, empty ones too, without its "\\r", with its start', () => {
    const seen: Seen[] = [];
    eachLine('a\r\n\nbc\nd\r', (line, present, start) => seen.push([line, present, start]));
    assert.deepEqual(seen, [
      ['a', -1, 0],
      ['', -1, 3],
      ['bc', -1, 4],
      ['d', -1, 7],
    ]);
  });
});

describe('literalsOf()', () => {
  const rows: readonly {
    name: string;
    literals: (string | null)[];
    found: { search: string[]; bits: number[] } | null;
  }[] = [
    { name: 'no search without regexes', literals: [], found: null },
    { name: 'no search when a regex has no literal', literals: ['a', null], found: null },
    {
      name: 'each distinct literal once, and the bit of each regex',
      literals: ['from ', 'via ', 'from '],
      found: { search: ['from ', 'via '], bits: [1, 2, 1] },
    },
    {
      name: 'the shorter of two literals when one contains the other',
      literals: ['Failed password for ', 'password ', 'Invalid user '],
      found: { search: ['password ', 'Invalid user '], bits: [1, 1, 2] },
    },
    {
      name: '31 literals at most',
      literals: Array.from({ length: 31 }, (_, i) => `L${String(i).padStart(2, '0')}`),
      found: {
        search: Array.from({ length: 31 }, (_, i) => `L${String(i).padStart(2, '0')}`),
        bits: Array.from({ length: 31 }, (_, i) => 1 << i),
      },
    },
    {
      name: 'no search past 31 literals',
      literals: Array.from({ length: 32 }, (_, i) => `L${String(i).padStart(2, '0')}`),
      found: null,
    },
  ];
  for (const row of rows) {
    test(`literalsOf() gives ${row.name}`, () => {
      assert.deepEqual(literalsOf(row.literals), row.found);
    });
  }
});
