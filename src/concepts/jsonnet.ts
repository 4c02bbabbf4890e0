// The Jsonnet evaluator, a process of its own started by jsonnet-process.ts, so that a
// configuration that loops, eats memory or crashes libjsonnet (deep nesting overflows its
// stack) is that process's end, not riposte's. The only user of the Jsonnet binding.
// Receives on stdin a JSON list of absolute paths; sends on stdout "ready", then for each
// file in order a header line (JSON: a Result) followed, on success, by its JSON output.

import { stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { Jsonnet } from '@hanazuki/node-jsonnet';
import { kindOf, readRegularFile } from '../lib/regular-file.js';
import { MAX_SOURCE } from './document.js';
import { importsOf } from './jsonnet-imports.js';
import { READY } from './jsonnet-process.js';

/** What the evaluator says about one file. `data`: the files read as data (see Document.redact). */
export type Result = { readonly data: readonly string[] } & (
  | { readonly ok: true; readonly bytes: number }
  /** An error the engine reported, in its own words. */
  | { readonly ok: false; readonly engine: string }
  /** A file refused before the engine ran; `line` and `col` when it is an import. */
  | {
      readonly ok: false;
      readonly path: string;
      readonly line?: number;
      readonly col?: number;
      readonly reason: string;
    }
);

const CODE = new Set(['.jsonnet', '.libsonnet', '.json']);

/** How often the evaluator looks whether riposte is still there. */
const ORPHANED = 200;

async function main(): Promise<void> {
  // riposte bounds this process while it lives; once it is gone (killed), nothing would.
  // Not process.exit(): it waits for the thread that evaluates, which may never end.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, ORPHANED).unref();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const paths = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[];
  process.stdout.write(`${READY}\n`);
  for (const path of paths) {
    const [result, output] = await evaluate(path);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (output !== undefined) process.stdout.write(output);
  }
}

async function evaluate(path: string): Promise<[Result, string?]> {
  const source = await readRegularFile(path, MAX_SOURCE);
  if (!source.ok)
    return [{ ok: false, data: [], path, reason: `cannot read configuration: ${source.reason}` }];
  const scan = await scanImports(path, source.text);
  if (scan.refused !== undefined) return [{ ...scan.refused, data: scan.data }];
  let output: string;
  try {
    // The text already read, not the file again: what was checked is what is evaluated.
    output = await new Jsonnet().evaluateSnippet(source.text, path);
  } catch (error) {
    return [{ ok: false, data: scan.data, engine: (error as Error).message }];
  }
  const bytes = Buffer.byteLength(output);
  if (bytes > MAX_SOURCE) {
    const reason = `cannot evaluate Jsonnet: the result is larger than ${MAX_SOURCE / 1024 / 1024} MiB, more than a configuration can be`;
    return [{ ok: false, data: scan.data, path, reason }];
  }
  return [{ ok: true, data: scan.data, bytes }, output];
}

interface Scan {
  readonly data: string[];
  refused?: { ok: false; path: string; line: number; col: number; reason: string };
}

/**
 * Follows the imports from `main` before libjsonnet does: one that names a fifo, a device
 * or a directory is refused here, with its place, where libjsonnet would block or fail
 * unclearly. Files read by importstr and importbin, and imported files not named as
 * Jsonnet, are data: their text must not reach a message.
 */
async function scanImports(main: string, text: string): Promise<Scan> {
  const scan: Scan = { data: [] };
  const seen = new Set([main]);
  const queue = [{ path: main, text }];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const found of importsOf(next.text)) {
      const target = isAbsolute(found.path) ? found.path : join(dirname(next.path), found.path);
      // A missing file is libjsonnet's to report, in its words.
      const info = await stat(target).catch(() => undefined);
      if (info === undefined) continue;
      if (!info.isFile()) {
        const { line, col } = lineCol(next.text, found.offset);
        const why = `${found.kind} ${JSON.stringify(found.path)}: ${kindOf(info)}, not a regular file`;
        scan.refused = {
          ok: false,
          path: next.path,
          line,
          col,
          reason: `cannot evaluate Jsonnet: ${why}`,
        };
        return scan;
      }
      if (found.kind !== 'import' || !CODE.has(extname(target))) scan.data.push(target);
      if (found.kind !== 'import' || seen.has(target)) continue;
      seen.add(target);
      const read = await readRegularFile(target, MAX_SOURCE);
      if (read.ok) queue.push({ path: target, text: read.text });
    }
  }
  return scan;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

await main();
