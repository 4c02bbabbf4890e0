// Starts one action process and follows it to its end, in one of two ways: through the
// native spawner (posix_spawn, a flat cost per action) or with Node's own spawn (a fork of
// the whole daemon). Owns nothing but the spawner it is given. Receives an argv; sends the
// exit status, signal or start failure, and the last 2 KiB of stderr.

import { type ChildProcess, spawn } from 'node:child_process';
import type { Spawner, SpawnResult } from './spawner.js';

export type { SpawnResult };

/** A started action: what the executor needs to stop it. */
export interface Started {
  kill(signal: NodeJS.Signals): void;
}

export type Launch = (argv: readonly string[], onExit: (result: SpawnResult) => void) => Started;

const STDERR_KEPT = 2048;
/**
 * How long an action that exited may keep its stderr open before it is reported anyway: a
 * process it left running (a mail program's background delivery, a `cmd &`) must not hold
 * the action's slot. The native spawner waits the same.
 */
const DRAIN = 100;

export function spawnerLaunch(spawner: Spawner): Launch {
  return (argv, onExit) => {
    const id = spawner.run(argv, onExit);
    return { kill: (signal) => spawner.kill(id, signal) };
  };
}

export const nodeLaunch: Launch = (argv, onExit) => {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'inherit', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_KEPT);
  });
  let reported = false;
  const report = (result: SpawnResult): void => {
    if (reported) return;
    reported = true;
    onExit(result);
  };
  child.once('error', (error) =>
    report({ status: undefined, signal: undefined, error: startReason(error), stderr }),
  );
  child.once('exit', (code, signal) => {
    const exited = (): void =>
      report({ status: code ?? undefined, signal: signal ?? undefined, error: undefined, stderr });
    const late = setTimeout(exited, DRAIN);
    child.once('close', () => {
      clearTimeout(late);
      exited();
    });
  });
  return { kill: (signal) => killGroup(child, signal) };
};

/**
 * Signals the action's whole process group, even when the action itself has exited: what it
 * left behind (a `cmd &`) may still hold its stderr open, and the action is not over until
 * that closes. A group id is not reused while the group has a member, so this never hits a
 * stranger.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function startReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'program not found';
  if (code === 'EACCES') return 'permission denied';
  return error.message;
}
