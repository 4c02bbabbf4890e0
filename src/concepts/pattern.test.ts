// Pattern rules that loadConfig() reports as warnings rather than errors: reaction accepts
// them, and real configurations rely on them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './config.js';

test('loadConfig() accepts a pattern that can match the empty string, with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.yml');
    writeFileSync(
      file,
      `patterns:
  all: {regex: '.*'}
  user: {regex: '[a-z]*', ignoreregex: ['.*']}
  ip: {type: ip}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['^<all>$'], actions: {a: {cmd: [echo, '<all>']}}}
`,
    );
    const loaded = await loadConfig(file);
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
    assert.deepEqual(
      loaded.warnings.map((w) => `${w.place.replace(`${dir}/`, '')}: ${w.message}`),
      [
        'c.yml:2:16: patterns.all.regex: can match the empty string: a line where <all> captures nothing counts under the empty value "", and actions get "" in its place',
        'c.yml:3:17: patterns.user.regex: can match the empty string: a line where <user> captures nothing counts under the empty value "", and actions get "" in its place',
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
