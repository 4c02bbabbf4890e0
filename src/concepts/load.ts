// Finds and reads the configuration: one file, or the files of a directory in order.
// Receives the -c path; sends the Documents read, or every error met while reading them
// (a syntax error in one file does not hide the syntax errors of the next). Only regular
// files are read: a fifo or a device named as configuration is refused, never waited on.

import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { kindOf, type Read, readRegularFile, systemReason } from '../lib/regular-file.js';
import { type Document, MAX_SOURCE } from './document.js';
import { explainJsonnetError } from './jsonnet-hint.js';

const FORMATS = new Set(['.json', '.jsonnet', '.yml', '.yaml']);
/** More files than this in a configuration directory is a mistake: the wrong directory, most likely. */
export const MAX_FILES = 1000;

export type Loaded =
  | { readonly ok: true; readonly documents: readonly Document[] }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

export async function loadDocuments(path: string): Promise<Loaded> {
  let files: string[];
  try {
    files = await configFiles(path);
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, errors: [error] };
    throw error;
  }
  // The Jsonnet evaluator starts first: its process starts while the other files are read.
  const jsonnet = files.filter((file) => extname(file) === '.jsonnet');
  const evaluated = evaluate(jsonnet);
  // Awaited below; meanwhile, a failure must not count as unhandled.
  evaluated.catch(() => undefined);
  const others = files.filter((file) => extname(file) !== '.jsonnet');
  const texts = await inParallel(others, (file) => readRegularFile(file, MAX_SOURCE));
  const read = new Map<string, Document | ConfigError>();
  for (const [i, file] of others.entries()) read.set(file, await parseDocument(file, texts[i]!));
  for (const [i, result] of (await evaluated).entries()) read.set(jsonnet[i]!, result);
  const documents: Document[] = [];
  const errors: ConfigError[] = [];
  for (const file of files) {
    const result = read.get(file)!;
    if (result instanceof ConfigError) errors.push(await explainJsonnetError(result, files));
    else documents.push(result);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, documents };
}

/** The file itself, or a directory's files: no recursion, `.`/`_` names and unknown extensions skipped, byte order. */
async function configFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(path, `cannot read configuration: ${systemReason(error)}`);
  });
  if (info.isFile()) {
    if (!FORMATS.has(extname(path))) {
      const why = `unknown format ${JSON.stringify(extname(path))}, expected .yml, .yaml, .json or .jsonnet`;
      throw new ConfigError(path, `cannot read configuration: ${why}`);
    }
    return [path];
  }
  if (!info.isDirectory()) {
    const why = `${kindOf(info)}, not a regular file or a directory`;
    throw new ConfigError(path, `cannot read configuration: ${why}`);
  }
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((e) => !e.isDirectory() && !/^[._]/.test(e.name) && FORMATS.has(extname(e.name)))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) {
    throw new ConfigError(
      path,
      'cannot read configuration: no .yml, .yaml, .json or .jsonnet file in this directory',
    );
  }
  if (names.length > MAX_FILES) {
    throw new ConfigError(
      path,
      `cannot read configuration: ${names.length} configuration files in this directory, more than the ${MAX_FILES} riposte reads; is it the right directory?`,
    );
  }
  return names.map((name) => join(path, name));
}

/** The YAML reader is loaded only when a file of its format is read. */
async function parseDocument(path: string, read: Read): Promise<Document | ConfigError> {
  const file = displayName(path);
  if (!read.ok) return new ConfigError(file, `cannot read configuration: ${read.reason}`);
  const { readJson, readYaml } = await import('./yaml.js');
  try {
    return extname(path) === '.json' ? readJson(file, read.text) : readYaml(file, read.text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

/** Files read at once: reading a thousand one after the other waits a thousand times. */
const READ_AT_ONCE = 16;

async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(READ_AT_ONCE, items.length) }, worker));
  return results;
}

/** The Jsonnet files, each evaluated (or refused) in a bounded child process. */
async function evaluate(files: readonly string[]): Promise<(Document | ConfigError)[]> {
  if (files.length === 0) return [];
  const { evaluateJsonnet } = await import('./jsonnet-process.js');
  try {
    return await evaluateJsonnet(
      files.map((f) => ({ file: displayName(f), absolute: resolve(f) })),
    );
  } catch (error) {
    if (error instanceof ConfigError) return files.map(() => error);
    throw error;
  }
}

function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? resolve(path) : rel;
}
