// Warnings about what a stream would read that is not there: a file stream's missing file
// (or a glob that matches none), and the same for the files of a `tail -F` command. Read
// at start-up and by `test-config`, so that a stream that reads nothing is never taken for
// a healthy one. Receives a built Config; records warnings on the Checker.

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Checker, Path } from './check.js';
import type { Config } from './config.js';

export function lintSources(c: Checker, config: Config): void {
  for (const stream of config.streams) {
    const base = ['streams', stream.name];
    if (stream.source?.type === 'file')
      for (const [i, path] of stream.source.paths.entries())
        lintFile(
          c,
          stream.source.paths.length > 1 ? [...base, 'options', 'paths', i] : [...base, 'options'],
          path,
        );
    if (stream.type === 'cmd')
      for (const [i, path] of tailedFiles(stream.cmd)) lintFile(c, [...base, 'cmd', i], path);
  }
}

function lintFile(c: Checker, path: Path, file: string): void {
  if (/[*?[]/.test(basename(file))) {
    if (globMatches(file)) return;
    c.warn(
      path,
      `no file matches "${file}" yet: the stream reads each from its start once it appears`,
    );
    return;
  }
  let kind: string;
  try {
    const st = statSync(file);
    if (st.isFile()) return;
    kind = st.isDirectory() ? 'a directory' : 'not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      c.warn(path, `cannot read "${file}": ${code ?? (error as Error).message}`);
      return;
    }
    c.warn(
      path,
      `file "${file}" does not exist: the stream reads it from its start once it appears`,
    );
    return;
  }
  c.warn(path, `"${file}" is ${kind}: the stream reads regular files only`);
}

function globMatches(file: string): boolean {
  const pattern = globRegExp(basename(file));
  try {
    return readdirSync(dirname(file)).some((name) => pattern.test(name));
  } catch {
    return false;
  }
}

/** A file-name glob (`*`, `?`, `[…]`) as a regex over whole names. */
export function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The files a `tail -f`/`-F` command follows, with their index in argv. */
function tailedFiles(cmd: readonly string[]): [number, string][] {
  if (basename(cmd[0] ?? '') !== 'tail') return [];
  const follows = cmd.some((a) => /^-[a-zA-Z0-9]*[fF]/.test(a) || a.startsWith('--follow'));
  if (!follows) return [];
  const files: [number, string][] = [];
  for (let i = 1; i < cmd.length; i++) {
    const arg = cmd[i]!;
    if (arg === '-n' || arg === '-c' || arg === '-s' || arg === '--pid') {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    files.push([i, arg]);
  }
  return files;
}
