// The cluster's secret files: a regular file is read without its final newline; a fifo, a
// directory, a file too large to be a secret and a missing file are refused at once, each
// with the key and the path.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { ConfigError } from '../../lib/errors.js';
import { secret } from './secrets.js';

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function refusal(path: string): string {
  try {
    secret(path, 'password_file');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  assert.fail(`${path} was read`);
}

test('secret() reads a regular file without its final newline', (t) => {
  const file = join(directory(t), 'password');
  writeFileSync(file, 's3cret\n');
  assert.equal(secret(file, 'password_file'), 's3cret');
});

test('secret() refuses a fifo at once instead of waiting for a writer', (t) => {
  const fifo = join(directory(t), 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.match(
    refusal(fifo),
    /^cannot read cluster\.nats\.password_file .*fifo: not a regular file$/,
  );
});

test('secret() refuses a directory, a file too large to be a secret and a missing file', (t) => {
  const dir = directory(t);
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  assert.match(refusal(sub), /sub: not a regular file$/);
  const big = join(dir, 'big');
  writeFileSync(big, 'x'.repeat(64 * 1024 + 1));
  assert.match(refusal(big), /big: larger than 65536 bytes: not a secret file$/);
  assert.match(refusal(join(dir, 'none')), /none: ENOENT$/);
});
