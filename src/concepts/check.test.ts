// check.ts through its exports: how values are described in messages, quoted texts cut,
// data masked, and the names JavaScript reserves refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Checker, describe, shortenQuotes } from './check.js';
import { redactor } from './redact.js';

test('describe() quotes a short string and gives only the length of a long one', () => {
  assert.equal(describe('extnd'), 'the string "extnd"');
  assert.equal(describe('x'.repeat(24)), `the string "${'x'.repeat(24)}"`);
  assert.equal(describe('root:$y$j9T$Qm3kH1xB0yZ:19700:0'), 'a string of 31 characters');
});

test('shortenQuotes() cuts each long quoted text of a message', () => {
  const long = 'a'.repeat(100);
  assert.equal(
    shortenQuotes(`"${long}" is not a stream of type "virtual"`),
    `"${'a'.repeat(40)}…" is not a stream of type "virtual"`,
  );
  assert.equal(shortenQuotes('an "open quote'), 'an "open quote');
  assert.equal(shortenQuotes('"a \\" b" and "c"'), '"a \\" b" and "c"');
});

test('Checker.fail() shortens quoted values and masks what was read as data', () => {
  const c = new Checker(() => 'c.jsonnet', redactor(['secret-line-of-a-file\n']));
  c.fail(['streams', 'secret-line-of-a-file'], `"${'b'.repeat(60)}" is wrong`);
  c.fail(['start'], 'expected a list, got "secret-line-of-a-file"');
  assert.deepEqual(
    c.errors.map((e) => e.message),
    [
      `c.jsonnet: streams.…: "${'b'.repeat(40)}…" is wrong`,
      'c.jsonnet: start: expected a list, got "…"',
    ],
  );
});

test('Checker.entries() refuses names that reach a prototype, and still returns them', () => {
  const c = new Checker(() => 'c.yml');
  const map = Object.assign(
    Object.create(null),
    JSON.parse('{"__proto__": 1, "constructor": 2, "ok": 3}'),
  );
  assert.deepEqual(
    c.entries(map, ['patterns'], 'patterns')?.map(([name]) => name),
    ['__proto__', 'constructor', 'ok'],
  );
  assert.deepEqual(
    c.errors.map((e) => e.message),
    [
      'c.yml: patterns.__proto__: "__proto__" cannot be a name: JavaScript reserves it',
      'c.yml: patterns.constructor: "constructor" cannot be a name: JavaScript reserves it',
    ],
  );
});
