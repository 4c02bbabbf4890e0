// Runs action commands: owns the running actions and the queue of those waiting for a
// free slot. Receives argv lists with a label and a completion callback; sends each
// outcome to its callback and to the log (argv, exit status, stderr of a failure).
// Actions start through the native spawner when it is built, else with Node's spawn.

import { availableParallelism } from 'node:os';
import { formatDuration } from '../lib/duration.js';
import { log } from '../lib/log.js';
import {
  type Launch,
  nodeLaunch,
  type SpawnResult,
  type Started,
  spawnerLaunch,
} from './launch.js';
import { Spawner } from './spawner.js';

export type Outcome = 'ok' | 'failed' | 'timeout';

export interface Job {
  readonly argv: readonly string[];
  /** Who runs it, for the log: "ssh.failedlogin.ban". */
  readonly label: string;
  /** When its process is started: after its wait for a free slot. */
  readonly started?: () => void;
  readonly done?: (outcome: Outcome) => void;
  /** Its start is logged at DEBUG (a restore logs one line for all it runs); failures still show. */
  readonly quiet?: boolean;
}

export interface ExecutorOptions {
  /** As configured: > 0 that many at once, 0 the number of CPUs, < 0 no limit. */
  readonly concurrency: number;
  readonly timeout: number;
  /** Time between SIGTERM and SIGKILL for an action past its timeout. */
  readonly grace?: number;
  /** Start actions with Node's spawn even when the native spawner is there. */
  readonly nodeSpawn?: boolean;
}

export class Executor {
  #limit: number;
  readonly #timeout: number;
  readonly #grace: number;
  readonly #queue: Job[] = [];
  #head = 0;
  readonly #running = new Set<Started>();
  #spawner: Spawner | undefined;
  #launch: Launch | undefined;
  readonly #nodeSpawn: boolean;
  #idle: (() => void)[] = [];
  readonly stats = { started: 0, failed: 0, timedOut: 0 };

  constructor(options: ExecutorOptions) {
    this.#limit = limitOf(options.concurrency);
    this.#timeout = options.timeout;
    this.#grace = options.grace ?? 5000;
    this.#nodeSpawn = options.nodeSpawn ?? false;
  }

  get running(): number {
    return this.#running.size;
  }

  get waiting(): number {
    return this.#queue.length - this.#head;
  }

  /** A new concurrency (a reload): more start at once if it grew; none is stopped if it shrank. */
  resize(concurrency: number): void {
    this.#limit = limitOf(concurrency);
    this.#pump();
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
    for (const started of this.#running) started.kill('SIGKILL');
  }

  /** Lets the spawner finish with the actions still running, then stops it. */
  async close(): Promise<void> {
    await this.#spawner?.close();
  }

  /** The spawner on first use; Node's spawn without it, or once it died. */
  #launcher(): Launch {
    if (this.#launch !== undefined && !this.#spawner?.dead) return this.#launch;
    if (this.#spawner?.dead)
      log('ERROR', 'executor: the action spawner died; starting actions with Node from now on');
    this.#spawner = this.#nodeSpawn || this.#spawner !== undefined ? undefined : Spawner.start();
    this.#launch = this.#spawner === undefined ? nodeLaunch : spawnerLaunch(this.#spawner);
    return this.#launch;
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
    log(job.quiet === true ? 'DEBUG' : 'INFO', `${job.label}: run ${JSON.stringify(job.argv)}`);
    job.started?.();
    let timedOut = false;
    let hardKill: NodeJS.Timeout | undefined;
    const started = this.#launcher()(job.argv, (result) => {
      clearTimeout(timer);
      clearTimeout(hardKill);
      this.#running.delete(started);
      if (result.error === 'spawner exited') {
        // It may or may not have run: run it again, a ban applied twice rather than lost.
        this.#start(job);
        return;
      }
      job.done?.(this.#report(job, result, timedOut));
      this.#pump();
    });
    this.#running.add(started);
    const timer = setTimeout(() => {
      timedOut = true;
      started.kill('SIGTERM');
      hardKill = setTimeout(() => started.kill('SIGKILL'), this.#grace).unref();
    }, this.#timeout);
  }

  #report(job: Job, r: SpawnResult, timedOut: boolean): Outcome {
    const argv = JSON.stringify(job.argv);
    const said =
      r.stderr.trim() === '' ? '' : `; stderr: ${r.stderr.trim().replaceAll('\n', ' | ')}`;
    if (timedOut) {
      this.stats.timedOut++;
      log(
        'ERROR',
        `${job.label}: ${argv} killed after running ${formatDuration(this.#timeout)}${said}`,
      );
      return 'timeout';
    }
    const failure = failureOf(r);
    if (failure !== undefined) {
      this.stats.failed++;
      log('ERROR', `${job.label}: ${argv} failed: ${failure}${said}`);
      return 'failed';
    }
    if (said !== '') log('WARN', `${job.label}: ${argv} succeeded${said}`);
    return 'ok';
  }
}

/** As configured: > 0 that many at once, 0 the number of CPUs, < 0 no limit. */
function limitOf(concurrency: number): number {
  if (concurrency > 0) return concurrency;
  return concurrency === 0 ? availableParallelism() : Number.POSITIVE_INFINITY;
}

const HINTS: Readonly<Record<string, string>> = {
  'program not found': 'program not found (check PATH)',
  'permission denied': 'permission denied (is the program executable?)',
};

function failureOf(r: SpawnResult): string | undefined {
  if (r.error !== undefined) return HINTS[r.error] ?? r.error;
  if (r.signal !== undefined) return `signal ${r.signal}`;
  return r.status === 0 ? undefined : `exit status ${r.status}`;
}

export function spawnReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'program not found (check PATH)';
  if (code === 'EACCES') return 'permission denied (is the program executable?)';
  return error.message;
}
