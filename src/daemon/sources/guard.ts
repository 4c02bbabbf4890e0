// The stream guard (native/stream-guard.c): a program a source runs under it dies with
// riposte, even by SIGKILL, with its whole process group. Owns whether the guard was built;
// receives argv and children; sends the argv to spawn, what the guard says of its exec, signals.

import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { HOME } from '../../lib/home.js';
import { log } from '../../lib/log.js';
import { which } from '../../lib/which.js';

/** native/stream-guard.c: kills the command's process group when riposte dies, even by SIGKILL. */
const GUARD = join(HOME, 'build', 'riposte-stream-guard');

let guard: boolean | undefined;

/**
 * The argv to spawn: the command under the guard when the guard exists and the program is
 * found (a program that is not is spawned as it is, for Node to say why it cannot start).
 */
export function guarded(cmd: readonly string[]): readonly string[] {
  guard ??= hasGuard();
  return guard && which(cmd[0]!) !== undefined ? [GUARD, ...cmd] : cmd;
}

/** fd 3 of the guard: closed once the command runs, after a line saying why it cannot. */
export function guardReport(child: ChildProcess): Promise<string> {
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

function hasGuard(): boolean {
  try {
    accessSync(GUARD, constants.X_OK);
    return true;
  } catch {
    log(
      'WARN',
      'streams: build/riposte-stream-guard is missing (no C compiler at install?): a stream command outlives a riposte that is killed',
    );
    return false;
  }
}

export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** SIGTERM to the child's process group, SIGKILL after `grace` ms; resolves once `exited` does. */
export async function stopGroup(
  child: ChildProcess | undefined,
  exited: Promise<void>,
  grace: number,
): Promise<void> {
  if (child === undefined) return;
  const running = child.exitCode === null && child.signalCode === null;
  if (running) signalGroup(child, 'SIGTERM');
  const kill = running ? setTimeout(() => signalGroup(child, 'SIGKILL'), grace) : undefined;
  await exited;
  clearTimeout(kill);
}
