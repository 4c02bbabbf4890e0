// Turns libjsonnet's "Unknown variable: banFor" into advice: where the name is defined and
// how to share it. The classic case is a function defined with `local` in the main file and
// used in a file that the main file imports, where it is not visible.

import { readdir } from 'node:fs/promises';
import { dirname, extname, join, relative } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { readRegularFile } from '../lib/regular-file.js';
import { MAX_SOURCE } from './document.js';

const UNKNOWN = /Unknown variable: (\w+)$/;

/** The same error, with a hint appended when it is an unknown variable defined elsewhere. */
export async function explainJsonnetError(
  error: ConfigError,
  files: readonly string[],
): Promise<ConfigError> {
  const name = UNKNOWN.exec(error.reason)?.[1];
  if (name === undefined) return error;
  const file = error.place.replace(/:\d+:\d+$/, '');
  const definitions = await findDefinitions(name, [dirname(file), ...files.map(dirname)]);
  const where =
    definitions.length === 0
      ? `"${name}" is not defined in ${file} nor in the files beside it`
      : `"${name}" is defined in ${definitions.join(', ')}, but a local of one file is not visible in the files it imports`;
  const how = `put the shared definitions in a library such as _lib.libsonnet and write \`local lib = import '_lib.libsonnet';\` in each file that uses them, then call lib.${name}`;
  return new ConfigError(error.place, `${error.reason}: ${where}; ${how}`, { cause: error });
}

async function findDefinitions(name: string, dirs: readonly string[]): Promise<string[]> {
  const pattern = new RegExp(`^\\s*local\\s+${name}\\b`);
  const found: string[] = [];
  for (const dir of new Set(dirs)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const entry of names.filter((n) => ['.jsonnet', '.libsonnet'].includes(extname(n)))) {
      const path = join(dir, entry);
      // A fifo beside the configuration is refused, not waited on.
      const read = await readRegularFile(path, MAX_SOURCE);
      const lines = read.ok ? read.text.split('\n') : [];
      const index = lines.findIndex((line) => pattern.test(line));
      if (index >= 0) found.push(`${relative(process.cwd(), path) || path}:${index + 1}`);
    }
  }
  return found;
}
