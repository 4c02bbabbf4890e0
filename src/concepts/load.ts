// Finds and reads the configuration: one file, or the files of a directory in order.
// Receives the -c path; sends the Documents read, or every error met while reading them
// (a syntax error in one file does not hide the syntax errors of the next).

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import type { Document } from './document.js';
import { explainJsonnetError } from './jsonnet-hint.js';

const FORMATS = new Set(['.json', '.jsonnet', '.yml', '.yaml']);

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
  const documents: Document[] = [];
  const errors: ConfigError[] = [];
  for (const file of files) {
    try {
      documents.push(await readDocument(file));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(await explainJsonnetError(error, files));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, documents };
}

/** The file itself, or a directory's files: no recursion, `.`/`_` names and unknown extensions skipped, byte order. */
async function configFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(path, `cannot read configuration: ${systemReason(error)}`);
  });
  if (!info.isDirectory()) {
    if (!FORMATS.has(extname(path))) {
      const why = `unknown format ${JSON.stringify(extname(path))}, expected .yml, .yaml, .json or .jsonnet`;
      throw new ConfigError(path, `cannot read configuration: ${why}`);
    }
    return [path];
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
  return names.map((name) => join(path, name));
}

/** The format readers are loaded only when a file of their format is read. */
async function readDocument(path: string): Promise<Document> {
  const file = displayName(path);
  if (extname(path) === '.jsonnet')
    return (await import('./jsonnet.js')).readJsonnet(file, resolve(path));
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(file, `cannot read configuration: ${systemReason(error)}`);
  });
  const { readJson, readYaml } = await import('./yaml.js');
  return extname(path) === '.json' ? readJson(file, text) : readYaml(file, text);
}

function displayName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? resolve(path) : rel;
}

export function systemReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return error.message;
  }
}
