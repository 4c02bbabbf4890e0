#!/usr/bin/env node
// Bundles the compiled sources (dist/src/, from tsc) into dist/bundle/: the `riposte` command
// (main.js) and the Jsonnet evaluator it runs as a child (jsonnet.js), with the code they share
// in chunks that each command loads only when it needs them. Node loads a few dozen files
// instead of about 130 at start. The packages of node_modules stay outside, imported as they
// are (three of them are native modules). Run by `npm run build` after tsc.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: {
    main: join(root, 'dist/src/main.js'),
    // jsonnet-process.ts starts it as `./jsonnet.js` beside its own chunk.
    jsonnet: join(root, 'dist/src/concepts/jsonnet.js'),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
