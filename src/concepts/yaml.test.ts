// readYaml() and readJson() at their bounds: nesting, aliases, duplicate keys among many,
// values, and maps without a prototype.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJson, readYaml } from './yaml.js';

/** Read through a variable: the key, not the accessor. */
const PROTO = '__proto__';

const nested = (n: number) => `${'['.repeat(n - 1)}${']'.repeat(n - 1)}`;

test('readYaml() and readJson() accept 64 levels of nesting and refuse 65', () => {
  // The top-level map is the first level.
  assert.ok(readYaml('c.yml', `a: ${nested(64)}\n`));
  assert.ok(readJson('c.json', `{"a": ${nested(64)}}`));
  const deep = /cannot parse (YAML|JSON): more than 64 levels of nesting/;
  assert.throws(() => readYaml('c.yml', `a: ${nested(65)}\n`), deep);
  assert.throws(() => readJson('c.json', `{"a": ${nested(65)}}`), deep);
});

test('readYaml() counts the levels an alias brings', () => {
  const chain = (n: number) => {
    const lines = ['a0: &a0 x'];
    for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [*a${i - 1}]`);
    return `${lines.join('\n')}\n`;
  };
  assert.ok(readYaml('c.yml', chain(64)));
  // The smallest part too deep is named: here the whole document, then the key d.
  assert.throws(() => readYaml('c.yml', chain(65)), {
    name: 'ConfigError',
    message:
      'c.yml:1:1: cannot parse YAML: more than 64 levels of nesting, which no configuration needs',
  });
  assert.throws(() => readYaml('c.yml', `d:\n  ${chain(65).replaceAll('\n', '\n  ')}`), {
    message:
      'c.yml:2:3: cannot parse YAML: more than 64 levels of nesting, which no configuration needs',
  });
});

test('readYaml() finds a key written twice among 50,000 at once', () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`);
  const start = Date.now();
  assert.throws(() => readYaml('c.yml', `${keys.join('\n')}\nk7: 1\n`), {
    message: 'c.yml:50001:1: cannot parse YAML: duplicate key "k7"',
  });
  // The parser's own check compares each key with every other: minutes for these.
  assert.ok(Date.now() - start < 20_000, `${Date.now() - start} ms`);
});

test('readYaml() and readJson() give maps without a prototype', () => {
  for (const doc of [
    readYaml('c.yml', '__proto__: {a: 1}\nconstructor: 2\n'),
    readJson('c.json', '{"__proto__": {"a": 1}, "constructor": 2}'),
  ]) {
    const value = doc.value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), null);
    assert.deepEqual(Object.keys(value), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(value[PROTO]), null);
  }
});

test('readJson() refuses more than 1,000,000 values', () => {
  const text = `{"start": [${Array.from({ length: 1_000_001 }, () => '0').join(',')}]}`;
  assert.throws(() => readJson('c.json', text), {
    name: 'ConfigError',
    message: 'c.json: cannot parse JSON: more than 1000000 values, which no configuration needs',
  });
});
