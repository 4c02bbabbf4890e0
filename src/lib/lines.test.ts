// The splitter's table, run through both of its outputs: the lines of each batch (test-regex,
// replays) and the blocks the daemon's filters search whole (the daemon's path).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type LineSink, LineSplitter, linesOf, stripCr } from './lines.js';

/** Which output of the splitter a test reads: the lines of each batch, or its blocks. */
const OUTPUTS = ['lines', 'block'] as const;
type Output = (typeof OUTPUTS)[number];

/** A sink for one output, the lines it got (a block's lines as linesOf() cuts them) and the overflows. */
function sink(output: Output): { sink: LineSink; lines: string[]; dropped: number[] } {
  const lines: string[] = [];
  const dropped: number[] = [];
  const overflow = (n: number) => dropped.push(n);
  if (output === 'lines')
    return { sink: { lines: (batch) => lines.push(...batch), overflow }, lines, dropped };
  const lines_ = (): void => assert.fail('a sink with block() never gets lines()');
  const block = (text: string) => lines.push(...linesOf(text));
  return { sink: { lines: lines_, block, overflow }, lines, dropped };
}

/** Lines and overflows that a splitter with `max` sends for `chunks`, then end(). */
function split(output: Output, chunks: readonly (string | Buffer | number[])[], max?: number) {
  const { sink: s, lines, dropped } = sink(output);
  const splitter = new LineSplitter(s, max);
  for (const chunk of chunks) {
    splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  }
  splitter.end();
  return { lines, dropped };
}

/** A full garbage collection, without --expose-gc: heap figures then count live objects only. */
const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

const EURO = Buffer.from('€'); // 3 bytes
const SMILE = Buffer.from('😀'); // 4 bytes, 2 UTF-16 code units

describe('LineSplitter', () => {
  const rows: readonly {
    name: string;
    chunks: (string | Buffer)[];
    max?: number;
    lines: string[];
    dropped?: number[];
  }[] = [
    { name: 'lines in one chunk', chunks: ['a\nb\nc\n'], lines: ['a', 'b', 'c'] },
    { name: 'a line split across chunks', chunks: ['ab', 'c\nde', 'f\n'], lines: ['abc', 'def'] },
    { name: 'the last line without a newline, at end()', chunks: ['a\nb'], lines: ['a', 'b'] },
    { name: 'empty lines', chunks: ['\n\na\n'], lines: ['', '', 'a'] },
    { name: 'no line for an empty stream', chunks: [], lines: [] },
    { name: '"\\r\\n" line ends', chunks: ['a\r\nb\r\n'], lines: ['a', 'b'] },
    { name: '"\\r\\n" split across chunks', chunks: ['a\r', '\nb\r', '\n'], lines: ['a', 'b'] },
    { name: 'a lone "\\r" inside a line kept', chunks: ['a\rb\n'], lines: ['a\rb'] },
    { name: 'a last line ending in "\\r"', chunks: ['a\r'], lines: ['a'] },
    { name: 'NUL bytes kept', chunks: ['a\0b\n\0\n'], lines: ['a\0b', '\0'] },
    {
      name: 'UTF-8 characters split across chunks',
      chunks: [
        EURO.subarray(0, 1),
        Buffer.concat([EURO.subarray(1), SMILE.subarray(0, 3)]),
        SMILE.subarray(3),
        '\n',
      ],
      lines: ['€😀'],
    },
    {
      name: 'invalid UTF-8 replaced by U+FFFD',
      chunks: [Buffer.from([0x61, 0xff, 0x62, 0x0a])],
      lines: ['a\ufffdb'],
    },
    {
      name: 'a truncated UTF-8 character at the end replaced',
      chunks: [Buffer.from([0x61, 0x0a, 0xe2, 0x82])],
      lines: ['a', '\ufffd'],
    },
    {
      name: 'a line of exactly the limit',
      chunks: ['abcdefghij\nk\n'],
      max: 10,
      lines: ['abcdefghij', 'k'],
    },
    {
      name: 'a line of the limit ending in "\\r\\n"',
      chunks: ['abcdefghij\r\nk\n'],
      max: 10,
      lines: ['abcdefghij', 'k'],
    },
    {
      name: 'a line of the limit whose "\\r" and "\\n" come in two chunks',
      chunks: ['abcdefghij\r', '\nk\n'],
      max: 10,
      lines: ['abcdefghij', 'k'],
    },
    {
      name: 'a line over the limit in one chunk, cut and the rest counted',
      chunks: ['abcdefghijklm\r\nk\n'],
      max: 10,
      lines: ['abcdefghij', 'k'],
      dropped: [3],
    },
    {
      name: 'a line over the limit across chunks, cut and the rest counted',
      chunks: ['abc', 'defghijklmno', 'pqrstuvwxyz', '12\r\nok'],
      max: 10,
      lines: ['abcdefghij', 'ok'],
      dropped: [18],
    },
    {
      name: 'a line over the limit whose "\\r" ends a chunk',
      chunks: ['abcdefghijklm', '\r', '\nok\n'],
      max: 10,
      lines: ['abcdefghij', 'ok'],
      dropped: [3],
    },
    {
      name: 'a line over the limit at the end of the stream',
      chunks: ['ok\nabcdefghijklm'],
      max: 10,
      lines: ['ok', 'abcdefghij'],
      dropped: [3],
    },
    {
      name: 'a line over the limit ending in "\\r" at the end of the stream',
      chunks: ['ok\nabcdefghijklm\r'],
      max: 10,
      lines: ['ok', 'abcdefghij'],
      dropped: [3],
    },
    {
      name: 'two lines over the limit in a row',
      chunks: ['abcdefghijkl\nABCDEFGHIJKLMN\nok\n'],
      max: 10,
      lines: ['abcdefghij', 'ABCDEFGHIJ', 'ok'],
      dropped: [2, 4],
    },
  ];
  for (const output of OUTPUTS) {
    for (const row of rows) {
      test(`LineSplitter splits ${row.name}, into ${output}`, () => {
        assert.deepEqual(split(output, row.chunks, row.max), {
          lines: row.lines,
          dropped: row.dropped ?? [],
        });
      });
    }
  }

  for (const output of OUTPUTS) {
    test(`LineSplitter sends a cut line before its end arrives, and counts the rest when it does, into ${output}`, () => {
      const { sink: s, lines, dropped } = sink(output);
      const splitter = new LineSplitter(s, 10);
      splitter.push(Buffer.from('abcdefghijklmnop'));
      assert.deepEqual({ lines, dropped }, { lines: ['abcdefghij'], dropped: [] });
      splitter.push(Buffer.from('qr\nnext\n'));
      assert.deepEqual({ lines, dropped }, { lines: ['abcdefghij', 'next'], dropped: [8] });
    });

    test(`LineSplitter holds a line of exactly the limit until its end arrives, into ${output}`, () => {
      const { sink: s, lines, dropped } = sink(output);
      const splitter = new LineSplitter(s, 10);
      splitter.push(Buffer.from('abcdefghij'));
      assert.deepEqual({ lines, dropped }, { lines: [], dropped: [] });
      splitter.push(Buffer.from('\n'));
      assert.deepEqual({ lines, dropped }, { lines: ['abcdefghij'], dropped: [] });
    });

    test(`LineSplitter sends the last line once when end() is called twice, into ${output}`, () => {
      const { sink: s, lines, dropped } = sink(output);
      const splitter = new LineSplitter(s, 10);
      splitter.push(Buffer.from('a\nb'));
      splitter.end();
      splitter.end();
      assert.deepEqual({ lines, dropped }, { lines: ['a', 'b'], dropped: [] });
    });

    test(`LineSplitter keeps memory bounded on a 100 MB line fed in 64 KiB chunks, into ${output}`, () => {
      const chunk = Buffer.alloc(65_536, 'x');
      const count = Math.ceil(100e6 / chunk.length);
      const { sink: s, lines, dropped } = sink(output);
      const splitter = new LineSplitter(s);
      gc();
      const before = process.memoryUsage().heapUsed;
      let peak = before;
      for (let i = 0; i < count; i++) {
        splitter.push(chunk);
        if (i % 128 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        }
      }
      splitter.push(Buffer.from('\nafter\n'));
      splitter.end();
      assert.deepEqual(
        lines.map((l) => l.length),
        [65_536, 5],
      );
      assert.deepEqual(dropped, [count * chunk.length - 65_536]);
      // Measured after a full collection: what the splitter keeps, not garbage awaiting the
      // collector. The line held whole would keep 100 MB; a bounded splitter keeps a chunk.
      assert.ok(peak - before < 16e6, `live heap grew by ${Math.round((peak - before) / 1e6)} MB`);
    });
  }

  test('LineSplitter sends a block of many lines with none over the limit unchanged, its "\\r" kept', () => {
    const blocks: string[] = [];
    const splitter = new LineSplitter(
      {
        lines: () => assert.fail('lines() called'),
        block: (b) => blocks.push(b),
        overflow: () => assert.fail('overflow'),
      },
      10,
    );
    splitter.push(Buffer.from('abcdefghi\r\nabcdefghi\nabc\r\nabcdefghij\n'));
    // An empty line first, then one of exactly the limit: still no line over it.
    splitter.push(Buffer.from('\nabcdefghij\nab\r\nx'));
    splitter.end();
    assert.deepEqual(blocks, [
      'abcdefghi\r\nabcdefghi\nabc\r\nabcdefghij',
      '\nabcdefghij\nab\r',
      'x',
    ]);
  });

  test('LineSplitter cuts a long line in the middle of a block, the other lines unchanged', () => {
    const blocks: string[] = [];
    const dropped: number[] = [];
    const splitter = new LineSplitter(
      {
        lines: () => assert.fail('lines() called'),
        block: (b) => blocks.push(b),
        overflow: (n) => dropped.push(n),
      },
      10,
    );
    splitter.push(Buffer.from('abc\r\nabcdefghij\nABCDEFGHIJKLMN\r\nabcdefghij\n'));
    assert.deepEqual(blocks, ['abc\nabcdefghij\nABCDEFGHIJ\nabcdefghij']);
    assert.deepEqual(dropped, [4]);
  });
});

describe('linesOf() and stripCr()', () => {
  test('linesOf() cuts a block at "\\n" and removes one trailing "\\r" of each line', () => {
    assert.deepEqual(linesOf('a\r\nb\n\r\nc\r\r\n\rd\ne\r'), ['a', 'b', '', 'c\r', '\rd', 'e']);
    assert.deepEqual(linesOf(''), ['']);
  });

  test('stripCr() removes one trailing "\\r" only', () => {
    assert.deepEqual(['', '\r', 'a\r', 'a\r\r', '\ra', 'a'].map(stripCr), [
      '',
      '',
      'a',
      'a\r',
      '\ra',
      'a',
    ]);
  });
});
