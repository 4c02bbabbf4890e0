// Runs action commands: owns the running processes and the queue of those waiting for a
// free slot. Receives argv lists with a label and a completion callback; sends each
// outcome to its callback and to the log (argv, exit status, stderr of a failure).

import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { formatDuration } from '../lib/duration.js';
import { log } from '../lib/log.js';

export type Outcome = 'ok' | 'failed' | 'timeout';

export interface Job {
  readonly argv: readonly string[];
  /** Who runs it, for the log: "ssh.failedlogin.ban". */
  readonly label: string;
  readonly done?: (outcome: Outcome) => void;
}

export interface ExecutorOptions {
  /** As configured: > 0 that many at once, 0 the number of CPUs, < 0 no limit. */
  readonly concurrency: number;
  readonly timeout: number;
  /** Time between SIGTERM and SIGKILL for an action past its timeout. */
  readonly grace?: number;
}

const STDERR_KEPT = 2048;

export class Executor {
  readonly #limit: number;
  readonly #timeout: number;
  readonly #grace: number;
  readonly #queue: Job[] = [];
  #head = 0;
  readonly #running = new Set<ChildProcess>();
  #idle: (() => void)[] = [];
  readonly stats = { started: 0, failed: 0, timedOut: 0 };

  constructor(options: ExecutorOptions) {
    const c = options.concurrency;
    this.#limit = c > 0 ? c : c === 0 ? availableParallelism() : Number.POSITIVE_INFINITY;
    this.#timeout = options.timeout;
    this.#grace = options.grace ?? 5000;
  }

  get running(): number {
    return this.#running.size;
  }

  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  run(job: Job): void {
    this.#queue.push(job);
    this.#pump();
  }

  /** Resolves once nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Kills every running action (second signal at shutdown). */
  killAll(): void {
    for (const child of this.#running) killGroup(child, 'SIGKILL');
  }

  #pump(): void {
    while (this.#running.size < this.#limit && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      this.#start(job);
    }
    if (this.running === 0 && this.waiting === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  #start(job: Job): void {
    this.stats.started++;
    log('INFO', `${job.label}: run ${JSON.stringify(job.argv)}`);
    const child = spawn(job.argv[0]!, job.argv.slice(1), {
      stdio: ['ignore', 'inherit', 'pipe'],
      detached: true,
    });
    this.#running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT);
    });
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM');
      hardKill = setTimeout(() => killGroup(child, 'SIGKILL'), this.#grace).unref();
    }, this.#timeout);
    let finished = false;
    const finish = (status: string | undefined, error?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(hardKill);
      this.#running.delete(child);
      const outcome = this.#report(job, { status, error, stderr, timedOut });
      job.done?.(outcome);
      this.#pump();
    };
    child.once('error', (error) => finish(undefined, error));
    child.once('close', (code, signal) =>
      finish(code === 0 ? undefined : signal === null ? `exit status ${code}` : `signal ${signal}`),
    );
  }

  #report(
    job: Job,
    r: { status: string | undefined; error: Error | undefined; stderr: string; timedOut: boolean },
  ): Outcome {
    const argv = JSON.stringify(job.argv);
    const said =
      r.stderr.trim() === '' ? '' : `; stderr: ${r.stderr.trim().replaceAll('\n', ' | ')}`;
    if (r.timedOut) {
      this.stats.timedOut++;
      log(
        'ERROR',
        `${job.label}: ${argv} killed after running ${formatDuration(this.#timeout)}${said}`,
      );
      return 'timeout';
    }
    if (r.error !== undefined || r.status !== undefined) {
      this.stats.failed++;
      const why = r.error === undefined ? r.status : spawnReason(r.error);
      log('ERROR', `${job.label}: ${argv} failed: ${why}${said}`);
      return 'failed';
    }
    if (said !== '') log('WARN', `${job.label}: ${argv} succeeded${said}`);
    return 'ok';
  }
}

/**
 * Signals the action's whole process group, even when the action itself has exited: what it
 * left behind (a `cmd &`) may still hold its stderr open, and the action is not over until
 * that closes. A group id is not reused while the group has a member, so this never hits a
 * stranger; `finish` disarms the timers once the action is over.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export function spawnReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'program not found (check PATH)';
  if (code === 'EACCES') return 'permission denied (is the program executable?)';
  return error.message;
}
