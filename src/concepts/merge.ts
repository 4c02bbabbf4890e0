// Merges the documents of a configuration directory into one value. Receives Documents in
// file order; sends the merged value and a locator that finds, for any key path, the file
// (and line) that defined it. Maps merge key by key, `start` and `stop` concatenate, and a
// value defined twice differently is an error naming both places.

import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../lib/errors.js';
import { describe, isPlainObject } from './check.js';
import type { Document, Key } from './document.js';
import { redactedPath } from './redact.js';

const CONCATENATED = new Set(['start', 'stop']);
/** Accepted and ignored at the top level: YAML users keep anchors there. */
const IGNORED = new Set(['definitions']);

export interface Merged {
  readonly value: Record<string, unknown>;
  locate(path: readonly Key[], what?: 'key' | 'value'): string;
  /** A message with what any of the documents read as data masked (see Document.redact). */
  redact(message: string): string;
}

export function mergeDocuments(documents: readonly Document[]): {
  merged: Merged;
  errors: ConfigError[];
} {
  const value: Record<string, unknown> = Object.create(null);
  const merger: Merger = { origins: new Map(), errors: [], owned: new WeakSet([value]) };
  const redact = (message: string): string =>
    documents.reduce((text, doc) => doc.redact(text), message);
  for (const doc of documents) {
    if (!isPlainObject(doc.value)) {
      const got = describe(doc.value);
      merger.errors.push(
        new ConfigError(doc.file, `the configuration must be a map at the top level, got ${got}`),
      );
      continue;
    }
    for (const [key, item] of Object.entries(doc.value)) {
      if (IGNORED.has(key)) continue;
      if (CONCATENATED.has(key) && Array.isArray(item)) concatenate(merger, value, key, item, doc);
      else mergeKey(merger, value, [key], item, doc);
    }
  }
  const locate = (path: readonly Key[], what: 'key' | 'value' = 'key'): string =>
    originOf(merger.origins, path)?.locate(path, what) ?? documents[0]?.file ?? '';
  const errors = merger.errors.map((e) => new ConfigError(e.place, redact(e.reason)));
  return { merged: { value, locate, redact }, errors };
}

/** The document that defined `path`, or the nearest of its ancestors. */
function originOf(
  origins: ReadonlyMap<string, Document>,
  path: readonly Key[],
): Document | undefined {
  for (let n = path.length; n >= 0; n--) {
    const doc = origins.get(originKey(path.slice(0, n)));
    if (doc !== undefined) return doc;
  }
  return undefined;
}

/** Exact, unlike keyPath(), which shortens long keys for messages. */
function originKey(path: readonly Key[]): string {
  return JSON.stringify(path);
}

interface Merger {
  readonly origins: Map<string, Document>;
  readonly errors: ConfigError[];
  /**
   * The maps made by the merge, which it may change; the others belong to a document and
   * are copied once, the first time another document adds to them. Copying at every
   * addition made a directory of n files cost n² (10,000 files took 18 s).
   */
  readonly owned: WeakSet<object>;
}

function mergeKey(
  m: Merger,
  target: Record<string, unknown>,
  path: Key[],
  item: unknown,
  doc: Document,
): void {
  const key = path[path.length - 1] as string;
  const existing = target[key];
  if (existing === undefined) {
    target[key] = item;
    m.origins.set(originKey(path), doc);
  } else if (isPlainObject(existing) && isPlainObject(item)) {
    const into = m.owned.has(existing) ? existing : ownCopy(m, existing);
    target[key] = into;
    for (const [k, v] of Object.entries(item)) mergeKey(m, into, [...path, k], v, doc);
  } else if (!isDeepStrictEqual(existing, item)) {
    const first = originOf(m.origins, path);
    const there = first === undefined ? 'another file' : first.locate(path, 'key');
    m.errors.push(
      new ConfigError(
        doc.locate(path, 'key'),
        `${redactedPath(path, doc.redact)}: also defined differently in ${there}`,
      ),
    );
  }
}

/** Without a prototype, so that a "__proto__" key is a key like any other. */
function ownCopy(m: Merger, map: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.assign(Object.create(null), map);
  m.owned.add(copy);
  return copy;
}

function concatenate(
  m: Merger,
  target: Record<string, unknown>,
  key: string,
  items: unknown[],
  doc: Document,
): void {
  if (target[key] === undefined) target[key] = [];
  const list = target[key];
  if (!Array.isArray(list)) return;
  for (const [i, item] of items.entries()) {
    m.origins.set(originKey([key, list.length]), retarget(doc, key, i));
    list.push(item);
  }
}

/** A view of `doc` in which index `from` of the list `key` is reached by its merged index. */
function retarget(doc: Document, key: string, from: number): Document {
  return {
    file: doc.file,
    value: doc.value,
    locate: (path, what) => doc.locate([key, from, ...path.slice(2)], what),
    redact: (message) => doc.redact(message),
  };
}
