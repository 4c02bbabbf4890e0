// Every filter and mode of the library, built once through `use:`: none draws a warning or
// lacks a literal, each file's own samples match; on fail2ban's annotated samples (skipped,
// and saying so, when ../shared/corpus is absent) each filter matches every line annotated
// as a failure with its address and no other line, in each mode, or its file explains why;
// the generated docs/library.md and library/library.libsonnet are what the library gives.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Filter } from '../../src/concepts/filter.js';
import { useNames } from '../../src/concepts/library.js';
import { libraryNames, readLibraryFilter } from '../../src/concepts/library-file.js';
import { ROOT } from '../daemon/harness.js';
import { CORPUS_DIR, corpusMissing } from './corpus.js';
import { libraryDocument, libraryJsonnet, NOT_SHIPPED } from './docs.js';
import { buildAll, type Discrepancy, evaluate, type FilterResult } from './evaluate.js';

let built: ReturnType<typeof buildAll> | undefined;
/** Every library filter and mode, built once through `use:`, with the warnings it gave. */
function all(): ReturnType<typeof buildAll> {
  built ??= buildAll();
  return built;
}

async function filters(): Promise<Map<string, Filter>> {
  return (await all()).filters;
}

const results = new Map<string, FilterResult>();
async function resultOf(name: string): Promise<FilterResult> {
  const known = results.get(name);
  if (known !== undefined) return known;
  const result = evaluate(readLibraryFilter(name), await filters());
  results.set(name, result);
  return result;
}

function show(d: Discrepancy): string {
  return `${d.where}: expected ${d.expected ?? 'no match'}, got ${d.got ?? 'no match'}: ${d.text}`;
}

test('every mode of every library filter builds with no warning: no regex at risk, no greedy .* before <ip>', async () => {
  const { filters, warnings } = await all();
  assert.equal(filters.size, useNames().length);
  assert.deepEqual(
    warnings.map((w) => w.message),
    [],
  );
});

test('every regex of the library holds a literal for the pre-filter', async () => {
  // A struct filter parses JSON first: its field regexes are not searched in raw lines.
  const missing = [...(await filters()).values()]
    .filter((f) => f.type === 'regex')
    .flatMap((f) =>
      f.regexes.filter((r) => r.engine.literal === null).map((r) => `${f.name}: ${r.source}`),
    );
  assert.deepEqual(missing, []);
});

test("every library file's own samples match as they say", async () => {
  const built = await filters();
  const wrong: string[] = [];
  for (const name of libraryNames()) {
    for (const sample of readLibraryFilter(name).samples) {
      const filter = built.get(sample.mode === 'normal' ? name : `${name}-${sample.mode}`)!;
      const got = filter.match(sample.line)?.[0];
      if (got !== sample.host)
        wrong.push(`${name} ${sample.mode}: ${sample.line} gave ${got}, not ${sample.host}`);
    }
  }
  assert.deepEqual(wrong, []);
});

describe('the library on fail2ban samples', { skip: corpusMissing() ?? false }, () => {
  for (const name of libraryNames()) {
    test(`${name} matches its samples as fail2ban does, or its file says why not`, async () => {
      const result = await resultOf(name);
      const unexplained = result.modes.flatMap((m) =>
        [...m.misses, ...m.falseMatches]
          .filter((d) => d.why === undefined)
          .map((d) => `${m.mode}: ${show(d)}`),
      );
      assert.deepEqual(unexplained, []);
      assert.deepEqual(result.untested, [], 'fail2ban modes of the samples that map to no mode');
      assert.deepEqual(result.unused, [], 'explanations that explain no line');
    });
  }

  test('every sample file is read by a library filter, or docs say why not', async () => {
    const read = new Set<string>();
    for (const name of libraryNames()) {
      for (const mode of (await resultOf(name)).modes)
        for (const file of mode.files) read.add(file);
    }
    const unread = readdirSync(CORPUS_DIR).filter(
      (f) => !read.has(f) && NOT_SHIPPED[f] === undefined,
    );
    assert.deepEqual(unread, []);
  });

  test('docs/library.md is the table the samples give (npm run library writes it)', async () => {
    const all = await Promise.all(libraryNames().map(resultOf));
    assert.equal(readFileSync(join(ROOT, 'docs/library.md'), 'utf8'), libraryDocument(all));
  });
});

test('library/library.libsonnet is what each use: name brings (npm run library writes it)', () => {
  assert.equal(readFileSync(join(ROOT, 'library/library.libsonnet'), 'utf8'), libraryJsonnet());
});
