// The log keeps one event per line whatever the texts it carries: quote() as a table of
// (text, as written), and log() with a control character in its message.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configureLog, log, quote } from './log.js';

const rows: readonly [text: string, written: string][] = [
  ['192.0.2.1', '192.0.2.1'],
  ['2001:db8::/64', '2001:db8::/64'],
  ['bob', 'bob'],
  ['bob 192.0.2.1', '"bob 192.0.2.1"'],
  ['a\nb', '"a\\nb"'],
  ['a\rb', '"a\\rb"'],
  ['say "hi"', '"say \\"hi\\""'],
  ['back\\slash', '"back\\\\slash"'],
  ['\u0085next\u2028line', '"\\u0085next\\u2028line"'],
  ['\u001b[31mred', '"\\u001b[31mred"'],
  ['josé', '"josé"'],
  ['', '""'],
];

for (const [text, written] of rows) {
  test(`quote(${JSON.stringify(text)}) writes ${written}`, () => {
    assert.equal(quote(text), written);
  });
}

test('log() writes a message with a line break as one line', () => {
  const lines: string[] = [];
  configureLog({ stamped: false, sink: (line) => lines.push(line) });
  log('ERROR', 'one\ntwo\r\u2029three\tfour');
  assert.deepEqual(lines, ['ERROR one\\u000atwo\\u000d\\u2029three\tfour\n']);
});
