// What a received message must be before its line reaches a filter: a table of bytes anyone
// able to publish could send, and the verdict.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage, encodeMessage, MAX_LINE } from './message.js';

const ok = {
  v: 1,
  line: 'ban 1.2.3.4',
  time: 1_700_000_000_000,
  epoch: '0123456789abcdef',
  seq: 3,
};
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

test('decodeMessage() reads back what encodeMessage() wrote', () => {
  const { v: _, ...message } = ok;
  assert.deepEqual(decodeMessage(encodeMessage(message)), message);
});

const REFUSED: [string, Uint8Array, string][] = [
  ['not JSON', new TextEncoder().encode('ban 1.2.3.4'), 'not JSON in UTF-8'],
  ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'not JSON in UTF-8'],
  ['a list', bytes([1]), 'unknown version undefined'],
  ['another version', bytes({ ...ok, v: 2 }), 'unknown version 2'],
  [
    'a line break',
    bytes({ ...ok, line: 'ban 1.2.3.4\nban 5.6.7.8' }),
    'a line break inside the line',
  ],
  ['a carriage return', bytes({ ...ok, line: 'ban 1.2.3.4\r' }), 'a line break inside the line'],
  [
    'a line too long',
    bytes({ ...ok, line: 'x'.repeat(MAX_LINE + 1) }),
    'a line of 4097 characters',
  ],
  ['a message too long', bytes({ ...ok, pad: 'x'.repeat(MAX_LINE + 300) }), '4489 bytes, too long'],
  ['no line', bytes({ ...ok, line: 5 }), 'no line'],
  ['a time as text', bytes({ ...ok, time: '1700000000000' }), 'no valid time'],
  ['a fractional time', bytes({ ...ok, time: 1.5 }), 'no valid time'],
  ['a bad epoch', bytes({ ...ok, epoch: '../../x' }), 'no valid epoch'],
  ['a zero seq', bytes({ ...ok, seq: 0 }), 'no valid seq'],
];

for (const [name, data, reason] of REFUSED) {
  test(`decodeMessage() refuses ${name}`, () => {
    assert.deepEqual(decodeMessage(data), { refused: reason });
  });
}
