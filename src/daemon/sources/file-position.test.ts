import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprintOf, parsePosition } from './file-position.js';

const head = fingerprintOf(Buffer.from('first line\n'));
const entry = {
  path: '/var/log/x.log',
  dev: '64769',
  ino: '18446744073709551615',
  offset: 11,
  head,
};

test('parsePosition() accepts what a FileSource writes, inodes past 2^53 included', () => {
  const position = { files: [entry, { path: '/var/log/y.log', missing: true }] };
  assert.deepEqual(parsePosition(JSON.parse(JSON.stringify(position))), { ok: true, position });
});

test('parsePosition() names what is wrong in a damaged or edited position', () => {
  const rows: [unknown, string][] = [
    [null, 'the position: not a map'],
    [[], 'the position: not a map'],
    [{ files: {} }, 'files: not a list'],
    [{ files: [], more: 1 }, 'the position: unknown key "more"'],
    [{ files: ['x'] }, 'files[0]: not a map'],
    [{ files: [{ ...entry, path: 'x.log' }] }, 'files[0].path: not an absolute path'],
    [{ files: [{ ...entry, path: '/a\0b' }] }, 'files[0].path: not an absolute path'],
    [{ files: [{ ...entry, dev: 64769 }] }, 'files[0].dev: not a decimal number in a string'],
    [{ files: [{ ...entry, ino: '012' }] }, 'files[0].ino: not a decimal number in a string'],
    [{ files: [{ ...entry, offset: 1.5 }] }, 'files[0].offset: not a whole number ≥ 0'],
    [{ files: [{ ...entry, offset: '11' }] }, 'files[0].offset: not a whole number ≥ 0'],
    [
      { files: [{ ...entry, head: { ...head, length: 1025 } }] },
      'files[0].head.length: more than 1024',
    ],
    [
      { files: [{ ...entry, head: { ...head, sha256: 'ABC' } }] },
      'files[0].head.sha256: not 64 hexadecimal digits',
    ],
    [{ files: [{ ...entry, head: { ...head, salt: 1 } }] }, 'files[0].head: unknown key "salt"'],
    [{ files: [{ ...entry, seek: 1 }] }, 'files[0]: unknown key "seek"'],
    [
      { files: [{ path: '/x', missing: false }] },
      'files[0]: "missing" must be true and alone with "path"',
    ],
    [
      { files: [{ ...entry, missing: true }] },
      'files[0]: "missing" must be true and alone with "path"',
    ],
    [{ files: [entry, entry] }, 'files[1].path: /var/log/x.log named twice'],
  ];
  for (const [data, reason] of rows)
    assert.deepEqual(parsePosition(data), { ok: false, reason }, JSON.stringify(data));
});

test('fingerprintOf() covers the bytes it is given and says how many', () => {
  assert.deepEqual(fingerprintOf(Buffer.alloc(0)), {
    length: 0,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  });
  assert.equal(head.length, 11);
});
