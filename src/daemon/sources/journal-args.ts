// journalctl's argv for a journal stream: which journal and entries it reads, where it starts,
// and the one-shot queries (is a cursor still there, has a unit any entry). Receives the
// stream's selection; sends argv arrays, never a shell line. Facts of journalctl 252 behind them:
// - `--follow` implies `-n 10` even after a cursor, so a resume passes `--no-tail`;
// - `--follow` implies the current boot unless `--merge`: a resume across a reboot would skip
//   the entries of the boot before;
// - `--after-cursor` skips one entry after seeking, whether or not it is the cursor's (a cursor
//   that is gone, or no longer matches): the source starts at the cursor and skips it itself;
// - `--since` and `--cursor` exclude each other; `--file` is followed only by an absolute path.

import { resolve } from 'node:path';

export interface JournalSelection {
  /** `--unit`: the unit's own entries, its coredumps and what systemd said of it, as `journalctl -u`. */
  readonly units: readonly string[];
  readonly identifiers: readonly string[];
  readonly matches: readonly string[];
  readonly directory: string | undefined;
  readonly files: readonly string[];
}

/** Where a run of journalctl starts: new entries only, at a cursor (included), or at a time. */
export type JournalStart =
  | { readonly kind: 'live' }
  | { readonly kind: 'cursor'; readonly cursor: string }
  | { readonly kind: 'since'; readonly seconds: number };

const MATCH = /^[A-Z_][A-Z0-9_]*=/;

/** Why a match is not `FIELD=value` with a journal field name, or undefined if it is. */
export function matchError(match: string): string | undefined {
  return MATCH.test(match) ? undefined : `match ${JSON.stringify(match)} is not FIELD=value`;
}

/** The argv (after the program) of the run that follows the journal. */
export function followArgs(
  selection: JournalSelection,
  o: { start: JournalStart; withIdentifier: boolean },
): string[] {
  const fields = o.withIdentifier ? 'MESSAGE,SYSLOG_IDENTIFIER,_COMM,_PID,SYSLOG_PID' : 'MESSAGE';
  return [
    '--follow',
    ...COMMON,
    `--output-fields=${fields}`,
    ...startArgs(o.start),
    ...whereArgs(selection),
    ...filterArgs(selection),
  ];
}

/** The first entry at or after a cursor, in any unit: the cursor's own entry when it is still there. */
export function cursorArgs(selection: JournalSelection, cursor: string): string[] {
  return [
    ...COMMON,
    '--output-fields=MESSAGE',
    `--cursor=${cursor}`,
    '-n',
    '1',
    '-q',
    ...whereArgs(selection),
  ];
}

/** `--all`: without it, journalctl writes any field past 4 KiB as null. */
const COMMON = ['--no-pager', '-o', 'json', '--all', '--merge'];

function startArgs(start: JournalStart): string[] {
  switch (start.kind) {
    case 'live':
      return ['-n', '0'];
    case 'cursor':
      return [`--cursor=${start.cursor}`, '--no-tail'];
    case 'since':
      return [`--since=@${start.seconds}`, '--no-tail'];
  }
}

function whereArgs(selection: JournalSelection): string[] {
  const args = selection.directory === undefined ? [] : [`--directory=${selection.directory}`];
  for (const file of selection.files) args.push(`--file=${resolve(file)}`);
  return args;
}

/** Units and identifiers as `--opt=value` and matches after `--`: no value can pass for an option. */
function filterArgs(selection: JournalSelection): string[] {
  const args = [
    ...selection.units.map((unit) => `--unit=${unit}`),
    ...selection.identifiers.map((identifier) => `--identifier=${identifier}`),
  ];
  for (const match of selection.matches) {
    const error = matchError(match);
    if (error !== undefined) throw new Error(error);
  }
  return selection.matches.length === 0 ? args : [...args, '--', ...selection.matches];
}
