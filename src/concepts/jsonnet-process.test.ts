// evaluateJsonnet() with the real evaluator process: values, imports, a crash or a kill that
// costs only its file, and the text of importstr files kept out of messages.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../lib/errors.js';
import type { Document } from './document.js';
import { evaluateJsonnet } from './jsonnet-process.js';

const dir = mkdtempSync(join(tmpdir(), 'riposte-jsonnet-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Evaluates sources written in the temporary directory, with these limits. */
function evaluate(sources: Record<string, string>, limits = { time: 20_000, memory: 1 << 30 }) {
  for (const [name, text] of Object.entries(sources)) writeFileSync(join(dir, name), text);
  const files = Object.keys(sources)
    .filter((name) => name.endsWith('.jsonnet'))
    .map((name) => ({ file: name, absolute: join(dir, name) }));
  return evaluateJsonnet(files, limits);
}

test('evaluateJsonnet() evaluates each file, relative imports and importstr included', async () => {
  const [a, b] = await evaluate({
    '_lib.libsonnet': '{ ban: 48 }',
    'note.txt': 'hello\n',
    'a.jsonnet': "{ n: (import '_lib.libsonnet').ban, t: importstr 'note.txt' }",
    'b.jsonnet': '[1]',
  });
  assert.deepEqual({ ...((a as Document).value as object) }, { n: 48, t: 'hello\n' });
  assert.deepEqual((b as Document).value, [1]);
});

test('evaluateJsonnet() gives the file that crashed the evaluator its error, and the next its value', async () => {
  const results = await evaluate({
    'a.jsonnet': '1',
    'b.jsonnet': `${'['.repeat(7000)}${']'.repeat(7000)}`,
    'c.jsonnet': '3',
  });
  assert.equal((results[0] as Document).value, 1);
  assert.ok(results[1] instanceof ConfigError);
  assert.equal(
    results[1].message,
    'b.jsonnet: cannot evaluate Jsonnet: the evaluator crashed (signal SIGSEGV): nesting too deep?',
  );
  assert.equal((results[2] as Document).value, 3);
});

/** A file no configuration error may quote: each of its lines is distinctive. */
const SECRET = 'root:$y$j9T$AbCdEfGhIjKlMn:19700:0:99999:7:::\nalice:$y$j9T$OpQrStUvWxYz:19700\n';

test('evaluateJsonnet() keeps the text of a file read with importstr out of every message', async () => {
  writeFileSync(join(dir, 'shadow'), SECRET);
  const sources: Record<string, string> = {
    'error.jsonnet': "error importstr 'shadow'",
    'line.jsonnet': "error std.split(importstr 'shadow', '\\n')[1]",
    'import.jsonnet': "import 'shadow'",
    'parse.jsonnet': "std.parseJson(importstr 'shadow')",
    'field.jsonnet': "(importstr 'shadow').x",
  };
  const results = await evaluate(sources);
  for (const [i, result] of results.entries()) {
    assert.ok(result instanceof ConfigError, Object.keys(sources)[i]);
    for (const fragment of ['j9T', 'AbCdEf', 'OpQrSt', '19700', 'alice', '99999'])
      assert.ok(!result.message.includes(fragment), result.message);
  }
  assert.equal(
    (results[2] as ConfigError).reason,
    'cannot evaluate Jsonnet: this file, imported with `import`, is not Jsonnet (its text is not shown); read a text file with `importstr`',
  );
});

test('evaluateJsonnet() gives each Jsonnet document a redactor for the data it read', async () => {
  writeFileSync(join(dir, 'shadow'), SECRET);
  const [doc] = await evaluate({ 'c.jsonnet': "{ streams: importstr 'shadow' }" });
  const redact = (doc as Document).redact;
  assert.equal(redact('got "alice:$y$j9T$OpQrStUvWxYz"'), 'got "…"');
  assert.equal(redact('a "stream" of its own'), 'a "stream" of its own');
});

test('evaluateJsonnet() kills an evaluation past its time, and the next file still runs', async () => {
  const results = await evaluate(
    {
      'a.jsonnet': 'local f(n) = if n == 0 then 0 else f(n - 1) + f(n - 1); f(60)',
      'b.jsonnet': '2',
    },
    { time: 2000, memory: 1 << 30 },
  );
  assert.equal(
    (results[0] as ConfigError).message,
    'a.jsonnet: cannot evaluate Jsonnet: the evaluator was killed after 2s',
  );
  assert.equal((results[1] as Document).value, 2);
});
