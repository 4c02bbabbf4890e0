// Whether the systemd journal holds any entry for a match (a unit, an identifier, a field),
// asked of `journalctl`: a journal stream, or a `journalctl -u` command, whose unit has none
// is most likely misspelt, and would read nothing without a word. Receives journalctl's
// arguments for the match; sends what journalctl answered, in a few words.

import { execFile } from 'node:child_process';

/** The answer: entries found, none, or why journalctl could not say. */
export type JournalAnswer =
  | { readonly kind: 'entries' }
  | { readonly kind: 'none' }
  | { readonly kind: 'unknown'; readonly reason: string };

/** Past this, the check gives up: a start-up is not held by a slow journal. */
const LIMIT = 5000;

/**
 * `journalctl [where…] MATCH… -n 1`: whether one entry matches. `where` names the journal
 * read (`-D DIR`, `--file F`), `match` the match (`-u UNIT`, `-t ID`, `FIELD=value`).
 */
export function journalHas(
  match: readonly string[],
  o: { where?: readonly string[]; program?: string } = {},
): Promise<JournalAnswer> {
  const args = ['--no-pager', '-q', '-o', 'cat', '-n', '1', ...(o.where ?? []), ...match];
  return new Promise((done) => {
    execFile(
      o.program ?? 'journalctl',
      args,
      { timeout: LIMIT, maxBuffer: 1 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const said = stderr.trim().split('\n').at(-1) ?? '';
        if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT')
          return done({ kind: 'unknown', reason: 'journalctl is not installed' });
        if (error?.killed)
          return done({
            kind: 'unknown',
            reason: `journalctl did not answer within ${LIMIT / 1000} s`,
          });
        if (said !== '' && stdout === '') return done({ kind: 'unknown', reason: said });
        if (error !== null) return done({ kind: 'unknown', reason: error.message.split('\n')[0]! });
        done({ kind: stdout === '' ? 'none' : 'entries' });
      },
    );
  });
}
