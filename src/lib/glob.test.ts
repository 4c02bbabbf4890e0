import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandGlob, globRegExp, isGlob } from './glob.js';

test('globRegExp() reads *, ? and [...] as the shell does', () => {
  const rows: [string, string, boolean][] = [
    ['*.log', 'auth.log', true],
    ['*.log', 'auth.log.1', false],
    ['*.log', '.hidden.log', false],
    ['.*.log', '.hidden.log', true],
    ['auth.log.?', 'auth.log.1', true],
    ['auth.log.?', 'auth.log.10', false],
    ['[ab].log', 'b.log', true],
    ['[ab].log', 'c.log', false],
    ['[!ab].log', 'c.log', true],
    ['[^ab].log', 'a.log', false],
    ['[a-c].log', 'b.log', true],
    ['[]].log', '].log', true],
    ['[.log', '[.log', true],
    ['a+b(1).log', 'a+b(1).log', true],
    ['a.log', 'aXlog', false],
    ['*', 'é.log', true],
  ];
  for (const [pattern, name, matches] of rows)
    assert.equal(globRegExp(pattern).test(name), matches, `${pattern} ${name}`);
});

test('isGlob() looks at the last component only', () => {
  assert.equal(isGlob('/var/log/*.log'), true);
  assert.equal(isGlob('/var/l?g/auth.log'), false);
});

test('expandGlob() gives the matching entries sorted, and none for a missing directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-glob-'));
  try {
    for (const name of ['b.log', 'a.log', 'a.txt']) writeFileSync(join(dir, name), '');
    assert.deepEqual(expandGlob(join(dir, '*.log')), [join(dir, 'a.log'), join(dir, 'b.log')]);
    assert.deepEqual(expandGlob(join(dir, 'missing', '*.log')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
