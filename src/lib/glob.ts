// Paths whose last component holds `*`, `?` and `[...]` as the shell reads them (a file
// stream's paths, and what test-config checks of them). Receives a path; sends the paths of
// the directory's entries it matches now (none when the directory is missing), sorted.

import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function isGlob(path: string): boolean {
  return /[*?[]/.test(basename(path));
}

/** The shell's pattern as an anchored regex; a leading "." is matched only by a "." (as sh). */
export function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) source += '\\[';
      else {
        source += classSource(pattern.slice(i + 1, end));
        i = end;
      }
    } else source += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(pattern.startsWith('.') ? `^${source}$` : `^(?!\\.)${source}$`, 'u');
}

/** Index of the "]" closing the class opened at `open`, or -1 (then "[" is itself). */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  return pattern.indexOf(']', i);
}

function classSource(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const members = (negated ? body.slice(1) : body).replace(/[\\^[\]]/g, '\\$&');
  return `[${negated ? '^' : ''}${members}]`;
}

/** The directory's entries the glob matches now; [] when the directory cannot be listed. */
export function expandGlob(path: string): string[] {
  const dir = dirname(path);
  const matcher = globRegExp(basename(path));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => matcher.test(name))
    .sort()
    .map((name) => join(dir, name));
}
