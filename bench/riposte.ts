// A riposte daemon started by a benchmark: spawned in the foreground with its log in a file,
// asked for its status over the control socket with riposte's own client code, stopped with
// SIGTERM. Receives a configuration and a directory; sends status, memory and timings.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { request } from '../src/client/request.js';
import type { Status } from '../src/protocol.js';
import { MAIN, memoryOf, type Sample, sleep } from './measure.js';

/** The daemon's last log line; one still running GRACE s after it is killed and reported. */
export const STOPPED = ' stopped (exit status';
export const GRACE = 10;

/** Seconds to the exit, or to the "stopped" log line when the daemon had to be killed. */
export function exitWall(sample: Sample): number {
  return sample.killed ? (sample.markerWall ?? sample.wall) : sample.wall;
}

/** Why a daemon did not exit: the first line it logged after "stopped". */
export function hungReason(log: readonly string[]): string {
  const stopped = log.findIndex((l) => l.includes(STOPPED));
  if (stopped < 0) return 'never logged "stopped" (killed at the time limit)';
  const after = log.slice(stopped + 1).find((l) => l.trim() !== '');
  return `still running ${GRACE} s after logging "stopped", killed; next log line: ${after ?? '(none)'}`;
}

export class Daemon {
  readonly socket: string;
  readonly log: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly started = performance.now();
  #closed = false;

  /** `netns`: run it in that network namespace (`ip netns exec`, which execs: same pid). */
  constructor(
    config: string,
    dir: string,
    options: { cwd?: string; env?: NodeJS.ProcessEnv; netns?: string } = {},
  ) {
    this.socket = join(dir, 'riposte.sock');
    this.log = join(dir, `riposte-${Date.now()}.log`);
    const out = openSync(this.log, 'w');
    const argv = [process.execPath, MAIN, 'start', '-c', config, '-s', this.socket];
    const wrap = options.netns === undefined ? [] : ['ip', 'netns', 'exec', options.netns];
    const [program, ...args] = [...wrap, ...argv];
    this.#child = spawn(program!, args, {
      cwd: options.cwd ?? dir,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    this.#exited = new Promise((done) =>
      this.#child.once('close', (code) => {
        this.#closed = true;
        done(code);
      }),
    );
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The daemon's status, or undefined while its socket does not answer. */
  async status(): Promise<Status | undefined> {
    try {
      const response = await request(this.socket, { v: 1, type: 'status' });
      return 'status' in response ? response.status : undefined;
    } catch {
      return undefined;
    }
  }

  /** Polls the status until `done` holds; returns it, or undefined past `timeout` seconds. */
  async waitFor(
    done: (s: Status) => boolean,
    o: { timeout: number; every?: number },
  ): Promise<Status | undefined> {
    const until = performance.now() + o.timeout * 1000;
    while (performance.now() < until) {
      if (this.#closed) return undefined;
      const s = await this.status();
      if (s !== undefined && done(s)) return s;
      await sleep(o.every ?? 200);
    }
    return undefined;
  }

  memory(): { rss: number; hwm: number } {
    return memoryOf(this.pid);
  }

  /** SIGTERM, then SIGKILL after `grace` seconds; says whether the daemon had to be killed. */
  async stop(grace = 30): Promise<{ code: number | null; killed: boolean }> {
    if (!this.#closed) this.#child.kill('SIGTERM');
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      this.#child.kill('SIGKILL');
    }, grace * 1000);
    const code = await this.#exited;
    clearTimeout(killer);
    return { code, killed };
  }
}
