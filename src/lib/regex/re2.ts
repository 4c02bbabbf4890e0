// The RE2 engine, loaded the first time it is needed: most configurations only reach it for
// lines longer than their regexes can safely take with V8. The only user of the `re2`
// package. Receives RE2 sources; sends compiled regexes, or whether a source compiles.

import { createRequire } from 'node:module';
import type RE2Type from 're2';

type RE2Constructor = typeof RE2Type;

let loaded: RE2Constructor | undefined;

function engine(): RE2Constructor {
  loaded ??= createRequire(import.meta.url)('re2') as RE2Constructor;
  return loaded;
}

export type Re2 = InstanceType<RE2Constructor>;

export function compileRe2(source: string, flags: string): Re2 {
  const RE2 = engine();
  return new RE2(source, flags);
}

export function re2Compiles(source: string): boolean {
  try {
    compileRe2(source, 'u');
    return true;
  } catch {
    return false;
  }
}
