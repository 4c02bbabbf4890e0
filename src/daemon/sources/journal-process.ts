// The journalctl processes of a journal stream: the long one that follows the journal, run under
// build/riposte-stream-guard (as daemon/stream.ts runs a command) so that it dies with riposte,
// and short queries run to their end. Receives argv; sends a child process, or a query's output.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { which } from '../../lib/which.js';
import { spawnReason } from '../executor.js';

/** native/stream-guard.c: kills the process group of its command when riposte dies, even by SIGKILL. */
const GUARD = fileURLToPath(new URL('../../../../build/riposte-stream-guard', import.meta.url));
const QUERY_TIMEOUT = 30_000;
const QUERY_OUTPUT = 4 * 1024 * 1024;

export interface Started {
  readonly child: ChildProcess;
  /** Resolves once the program runs (''), or with why it cannot. */
  readonly ran: Promise<string>;
}

/** Spawns `program args` in its own process group, under the guard when there is one. */
export function spawnGuarded(program: string, args: readonly string[]): Started {
  const under = hasGuard() && which(program) !== undefined;
  const argv = under ? [GUARD, program, ...args] : [program, ...args];
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

/** fd 3 of the guard: closed once the command runs, after a line saying why it cannot. */
function guardReport(child: ChildProcess): Promise<string> {
  const pipe = child.stdio[3] as Readable | null | undefined;
  if (pipe === null || pipe === undefined) return Promise.resolve('');
  return new Promise((resolve) => {
    let said = '';
    pipe.setEncoding('utf8');
    pipe.on('data', (text: string) => {
      said += text;
    });
    pipe.once('close', () => resolve(said.trim()));
  });
}

let guard: boolean | undefined;

function hasGuard(): boolean {
  if (guard !== undefined) return guard;
  try {
    accessSync(GUARD, constants.X_OK);
    guard = true;
  } catch {
    guard = false;
  }
  return guard;
}

/** Signals the process group (the guard and journalctl), or the child alone if that fails. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
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
