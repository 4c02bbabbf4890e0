// The journalctl processes of a journal stream: the long one that follows the journal, run under
// the stream guard (guard.ts, as a command stream's) so that it dies with riposte, and short
// queries run to their end. Receives argv; sends a child process, or a query's output.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { spawnReason } from '../executor.js';
import { guarded, guardReport } from './guard.js';

const QUERY_TIMEOUT = 30_000;
const QUERY_OUTPUT = 4 * 1024 * 1024;

export interface Started {
  readonly child: ChildProcess;
  /** Resolves once the program runs (''), or with why it cannot. */
  readonly ran: Promise<string>;
}

/** Spawns `program args` in its own process group, under the guard when there is one. */
export function spawnGuarded(program: string, args: readonly string[]): Started {
  const cmd = [program, ...args];
  const argv = guarded(cmd);
  const under = argv !== cmd;
  const stdio = under ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: stdio as ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const failed = new Promise<string>((resolve) =>
    child.once('error', (error) => resolve(spawnReason(error))),
  );
  const ran = under
    ? Promise.race([guardReport(child), failed])
    : Promise.race([
        new Promise<string>((resolve) => child.once('spawn', () => resolve(''))),
        failed,
      ]);
  return { child, ran };
}

export interface QueryResult {
  readonly stdout: string;
  /** The exit status, or a reason (not found, killed, timed out). */
  readonly failure: string | undefined;
  readonly stderr: string;
}

/** Runs a short query to its end, bounded in time and output. */
export function query(program: string, args: readonly string[]): Promise<QueryResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { timeout: QUERY_TIMEOUT, maxBuffer: QUERY_OUTPUT, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error === null ? undefined : queryFailure(error);
        resolve({ stdout, stderr: stderr.trim(), failure });
      },
    );
  });
}

function queryFailure(error: Error & { code?: unknown; signal?: unknown }): string {
  if (typeof error.code === 'number') return `exit status ${error.code}`;
  if (typeof error.signal === 'string') return `killed by signal ${error.signal}`;
  return spawnReason(error);
}
