import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonLines, MAX_LINE, parseCursor, parseEntry } from './journal-entry.js';

const CURSOR =
  's=2b76ef93a33f49f393d51144b1f936b7;i=1f;b=0123456789abcdef0123456789abcdef;m=60a24181e4000;t=60a24181e4000;x=e07137e73c97a924';

function line(fields: Record<string, unknown>): string {
  return JSON.stringify({ __CURSOR: CURSOR, __REALTIME_TIMESTAMP: '1700000000123456', ...fields });
}

test('parseCursor() reads a cursor and refuses anything else', () => {
  assert.deepEqual(parseCursor(CURSOR), {
    seqnumId: '2b76ef93a33f49f393d51144b1f936b7',
    seqnum: '1f',
    realtime: 0x60a24181e4000,
  });
  for (const bad of [
    undefined,
    42,
    '',
    'garbage',
    `${CURSOR};y=1`,
    CURSOR.replace('s=2b', 's=2B'),
    ` ${CURSOR}`,
  ])
    assert.equal(parseCursor(bad), undefined, JSON.stringify(bad));
});

test('parseEntry() reads MESSAGE as text, bytes or first value, with the time in ms', () => {
  const rows: [unknown, string | undefined][] = [
    ['hello', 'hello'],
    [[104, 0xff, 105], 'h\uFFFDi'],
    [['first', 'second'], 'first'],
    [[[111, 107], 'x'], 'ok'],
    [null, undefined],
    [undefined, undefined],
    ['a\u0000b\u001b', 'a\u0000b\u001b'],
  ];
  for (const [message, text] of rows)
    assert.deepEqual(parseEntry(line({ MESSAGE: message }), false), {
      cursor: CURSOR,
      time: 1700000000123,
      text,
    });
});

test('parseEntry() with the identifier writes it before each line, else the command name', () => {
  const rows: [Record<string, unknown>, string][] = [
    [{ SYSLOG_IDENTIFIER: 'sshd', _PID: '42' }, 'sshd[42]: a\nsshd[42]: b'],
    [{ SYSLOG_IDENTIFIER: 'sshd', SYSLOG_PID: '7' }, 'sshd[7]: a\nsshd[7]: b'],
    [{ _COMM: 'cron' }, 'cron: a\ncron: b'],
    [{}, 'a\nb'],
  ];
  for (const [fields, text] of rows)
    assert.equal(
      (parseEntry(line({ MESSAGE: 'a\nb', ...fields }), true) as { text: string }).text,
      text,
    );
});

test('parseEntry() says why a line is not an entry', () => {
  assert.equal(parseEntry('{', false), 'not JSON');
  assert.equal(parseEntry('[1]', false), 'not an object');
  assert.equal(parseEntry('{"MESSAGE":"x"}', false), 'no __CURSOR');
  assert.equal(parseEntry(line({ __REALTIME_TIMESTAMP: '12a' }), false), 'no __REALTIME_TIMESTAMP');
});

test('JsonLines joins lines across chunks and drops a line past 1 MiB whole', () => {
  const lines: string[] = [];
  const dropped: number[] = [];
  const cutter = new JsonLines({ line: (l) => lines.push(l), dropped: (n) => dropped.push(n) });
  cutter.push(Buffer.from('one\ntw'));
  cutter.push(Buffer.from('o\n'));
  const big = Buffer.alloc(MAX_LINE, 'x');
  cutter.push(big);
  cutter.push(Buffer.from('yy\nthree\n'));
  cutter.push(Buffer.concat([Buffer.alloc(MAX_LINE + 1, 'z'), Buffer.from('\nfour\n')]));
  assert.deepEqual(lines, ['one', 'two', 'three', 'four']);
  assert.deepEqual(dropped, [MAX_LINE + 2, MAX_LINE + 1]);
});

test('JsonLines keeps a line of exactly 1 MiB', () => {
  const lines: string[] = [];
  const cutter = new JsonLines({
    line: (l) => lines.push(l),
    dropped: () => assert.fail('dropped'),
  });
  cutter.push(Buffer.alloc(MAX_LINE - 1, 'x'));
  cutter.push(Buffer.from('x\n'));
  assert.equal(lines[0]?.length, MAX_LINE);
});
