// Where riposte is installed: the nearest directory above this file that holds riposte's
// package.json. The compiled file sits in dist/src/lib/, the bundle's chunks in dist/bundle/;
// the native helpers (build/), the filter library (library/) and the manifest (its version)
// are found from it.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of riposte's package.json: the clone, or /usr/lib/riposte once installed. */
export const HOME = homeFrom(dirname(fileURLToPath(import.meta.url)));

/** The nearest directory at or above `dir` whose package.json is riposte's. */
export function homeFrom(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (isRiposte(join(at, 'package.json'))) return at;
    if (dirname(at) === at)
      throw new Error(`riposte's package.json is in no directory above ${dir}`);
  }
}

/** The version riposte's package.json gives. */
export function version(): string {
  const manifest = join(HOME, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function isRiposte(manifest: string): boolean {
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'riposte';
  } catch {
    return false;
  }
}
