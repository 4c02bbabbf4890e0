// mergeDocuments(): linear in the number of files, prototype keys kept as keys, documents
// left as they were read.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Document, plainCopy } from './document.js';
import { mergeDocuments } from './merge.js';

/** Read through a variable: the key, not the accessor. */
const PROTO = '__proto__';

function doc(file: string, value: unknown): Document {
  return { file, value: plainCopy(value), locate: () => file, redact: (m) => m };
}

test('mergeDocuments() of 20,000 files each adding a stream takes time in proportion', () => {
  const docs = Array.from({ length: 20_000 }, (_, i) =>
    doc(`${i}.yml`, { streams: { [`s${i}`]: { cmd: ['true'] } } }),
  );
  const start = Date.now();
  const { merged, errors } = mergeDocuments(docs);
  // Linear, this takes tens of milliseconds; copying the streams map at each file took minutes.
  assert.ok(Date.now() - start < 10_000, `${Date.now() - start} ms`);
  assert.deepEqual(errors, []);
  assert.equal(Object.keys(merged.value['streams'] as object).length, 20_000);
});

test('mergeDocuments() keeps "__proto__" a key, which the checks then see', () => {
  const { merged } = mergeDocuments([
    doc('a.json', JSON.parse('{"__proto__": {"streams": {"s": {}}}}')),
    doc('b.json', JSON.parse('{"__proto__": {"concurrency": 1}}')),
  ]);
  assert.deepEqual(Object.keys(merged.value), ['__proto__']);
  assert.equal(merged.value['streams'], undefined);
  assert.deepEqual(Object.keys(merged.value[PROTO] as object), ['streams', 'concurrency']);
});

test('mergeDocuments() leaves the documents as they were read', () => {
  const a = doc('a.yml', { streams: { s: { cmd: ['a'] } } });
  const b = doc('b.yml', { streams: { t: { cmd: ['b'] } } });
  mergeDocuments([a, b]);
  assert.deepEqual(Object.keys((a.value as { streams: object }).streams), ['s']);
});
