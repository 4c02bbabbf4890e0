// Every configuration example of the README (its ```yaml, ```json and ```jsonnet blocks),
// extracted from the README itself, passes test-config without an error or a warning: an
// admin who copies one starts from a configuration riposte has nothing to say about.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/concepts/config.js';
import { ROOT } from '../daemon/harness.js';

const EXTENSIONS: Readonly<Record<string, string>> = {
  yaml: 'yml',
  json: 'json',
  jsonnet: 'jsonnet',
};

/** The README's configuration blocks, each with its language and first line number. */
function examples(): { language: string; line: number; text: string }[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const found: { language: string; line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const language = /^```(\w+)$/.exec(lines[i]!)?.[1];
    if (language === undefined || !(language in EXTENSIONS)) continue;
    const end = lines.indexOf('```', i + 1);
    found.push({ language, line: i + 2, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return found;
}

test('the README has configuration examples to check', () => {
  assert.ok(examples().length >= 1);
});

for (const example of examples()) {
  test(`the ${example.language} example at README.md:${example.line} passes test-config without a warning`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
    try {
      const file = join(dir, `example.${EXTENSIONS[example.language]}`);
      writeFileSync(file, example.text);
      const loaded = await loadConfig(file);
      assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
      // Whether a program or a log file of the example is there depends on the machine, not on the README.
      const machine = /is not found in PATH|" does not exist: |no file matches "/;
      const warnings = loaded.warnings.filter((w) => !machine.test(w.message));
      assert.deepEqual(
        warnings.map((w) => w.message),
        [],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
