#!/usr/bin/env node
// Writes the library's generated documents from the compiled tests' helpers (run
// `npm run build` first, as `npm run library` does): docs/library.md, the library's results
// on fail2ban's samples read from ../shared/corpus, and library/library.libsonnet.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libraryNames, readLibraryFilter } from '../dist/src/concepts/library-file.js';
import { corpusMissing } from '../dist/test/library/corpus.js';
import { libraryDocument, libraryJsonnet } from '../dist/test/library/docs.js';
import { buildAll, evaluate } from '../dist/test/library/evaluate.js';

const root = join(fileURLToPath(import.meta.url), '../..');
writeFileSync(join(root, 'library/library.libsonnet'), libraryJsonnet());
const missing = corpusMissing();
if (missing !== undefined) {
  console.error(`docs/library.md not written: ${missing}`);
  process.exit(1);
}
const { filters } = await buildAll();
const results = libraryNames().map((name) => evaluate(readLibraryFilter(name), filters));
writeFileSync(join(root, 'docs/library.md'), libraryDocument(results));
console.log(`wrote docs/library.md (${results.length} filters) and library/library.libsonnet`);
