// Warnings about what a stream would read that is not there: a file stream's missing file
// (or a glob that matches none), the same for the files of a `tail -F` command, and a
// journal unit with no entry. Read at start-up and by `test-config`, so that a stream that
// reads nothing is never taken for a healthy one. Receives a built Config; records warnings
// on the Checker, or returns those the journal's answers give.

import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { expandGlob, isGlob } from '../lib/glob.js';
import { type JournalAnswer, journalHas } from '../lib/journal-check.js';
import type { Checker, Path } from './check.js';
import { keyPath } from './document.js';
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
  if (isGlob(file)) {
    if (expandGlob(file).length > 0) return;
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

/** A journal match that should have entries: where in the configuration, and journalctl's arguments. */
export interface JournalMatch {
  readonly path: Path;
  /** `unit ssh.service`, for messages. */
  readonly what: string;
  readonly match: readonly string[];
  readonly where: readonly string[];
}

/**
 * The units and identifiers the journal streams read, and the `-u UNIT` of `journalctl`
 * commands: each should have entries in the journal, or its name is probably wrong.
 */
export function journalMatches(config: Config): JournalMatch[] {
  const found: JournalMatch[] = [];
  for (const stream of config.streams) {
    const base = ['streams', stream.name];
    const source = stream.source;
    if (source?.type === 'journal') {
      const where =
        source.directory !== undefined
          ? ['-D', source.directory]
          : source.files.map((f) => `--file=${f}`);
      for (const [i, unit] of source.units.entries())
        found.push({
          path: [...base, 'options', 'units', i],
          what: `unit ${unit}`,
          match: ['-u', unit],
          where,
        });
      for (const [i, id] of source.identifiers.entries())
        found.push({
          path: [...base, 'options', 'identifiers', i],
          what: `identifier ${id}`,
          match: ['-t', id],
          where,
        });
      for (const [i, m] of source.matches.entries())
        found.push({
          path: [...base, 'options', 'matches', i],
          what: `match ${m}`,
          match: [m],
          where,
        });
    }
    if (stream.type === 'cmd' && basename(stream.cmd[0] ?? '') === 'journalctl')
      for (const [i, arg] of stream.cmd.entries()) {
        const unit =
          arg === '-u' || arg === '--unit' ? stream.cmd[i + 1] : /^--unit=(.+)$/.exec(arg)?.[1];
        if (unit !== undefined)
          found.push({
            path: [...base, 'cmd', arg.startsWith('--unit=') ? i : i + 1],
            what: `unit ${unit}`,
            match: ['-u', unit],
            where: [],
          });
      }
  }
  return found;
}

/** What to say of a journal match, given journalctl's answer; nothing when it has entries. */
export function journalWarning(m: JournalMatch, answer: JournalAnswer): string | undefined {
  const command = `journalctl ${[...m.where, ...m.match].join(' ')}`;
  switch (answer.kind) {
    case 'entries':
      return undefined;
    case 'none':
      return `${m.what} has no entry in the journal: is its name right? (${command} -n 1 finds none)`;
    case 'unknown':
      return `cannot tell whether ${m.what} has entries in the journal: ${answer.reason}`;
  }
}

/**
 * Asks the journal about each match of journalMatches(), one after the other (a start-up is
 * not held: the daemon does not wait for this); the warnings, as `key path: message`.
 */
export async function journalWarnings(config: Config): Promise<string[]> {
  const warnings: string[] = [];
  for (const m of journalMatches(config)) {
    const said = journalWarning(m, await journalHas(m.match, { where: m.where }));
    if (said !== undefined) warnings.push(`${keyPath(m.path)}: ${said}`);
  }
  return warnings;
}
