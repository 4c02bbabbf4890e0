// A command stream's source: owns the command's process, its restarts with backoff and its
// line splitters. Receives the command; sends its stdout and stderr lines, counted at the
// time they are read, and its exits, to the stream. Every exit is logged at ERROR with its
// status and last stderr line. The command runs under build/riposte-stream-guard when it was
// built, so that it dies with riposte.

import { type ChildProcess, spawn } from 'node:child_process';
import { formatDuration } from '../../lib/duration.js';
import { LineSplitter, stripCr } from '../../lib/lines.js';
import { log } from '../../lib/log.js';
import { spawnReason } from '../executor.js';
import { guarded, guardReport, signalGroup, stopGroup } from './guard.js';
import type { Source, SourceSink, SourceStatus } from './source.js';

const FIRST_BACKOFF = 1000;
const MAX_BACKOFF = 300_000;
/** A command that ran this long before dying starts again after the first backoff. */
const HEALTHY_RUN = 60_000;
const STOP_GRACE = 5000;

export interface CommandOptions {
  /** The stream's name, for messages. */
  readonly name: string;
  readonly cmd: readonly string[];
  /** The command ended with status 0: it is not started again. */
  readonly onFinished: () => void;
}

export class CommandSource implements Source {
  readonly #o: CommandOptions;
  readonly #sink: SourceSink;
  #child: ChildProcess | undefined;
  #state: SourceStatus['state'] = 'starting';
  #backoff = FIRST_BACKOFF;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #lastExit: string | undefined;
  #lastStderr = '';
  #exited: Promise<void> = Promise.resolve();

  constructor(options: CommandOptions, sink: SourceSink) {
    this.#o = options;
    this.#sink = sink;
  }

  get status(): SourceStatus {
    return {
      state: this.#state,
      pid: this.#child?.pid,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
    };
  }

  start(): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const { child, report } = this.#spawn();
      const fail = (reason: string) =>
        reject(
          new Error(
            `cannot start stream ${this.#o.name}: ${JSON.stringify(this.#o.cmd)}: ${reason}`,
          ),
        );
      child.once('error', (error) => fail(spawnReason(error)));
      // Under the guard, the spawn is the guard's: the command runs once the guard says so.
      if (report === undefined) child.once('spawn', () => resolve());
      else void report.then((reason) => (reason === '' ? resolve() : fail(reason)));
    });
  }

  /** Stops the command (its whole process group) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    // The child may be a restart spawned a moment ago, not yet reported as running.
    await stopGroup(this.#child, this.#exited, STOP_GRACE);
  }

  kill(): void {
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    if (this.#child !== undefined) signalGroup(this.#child, 'SIGKILL');
  }

  /** The command's process, and, under the guard, what the guard says of its exec. */
  #spawn(): { child: ChildProcess; report: Promise<string> | undefined } {
    const argv = guarded(this.#o.cmd);
    const [program, ...args] = argv;
    const under = argv !== this.#o.cmd;
    const stdio = under ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'];
    const child = spawn(program!, args, {
      stdio: stdio as ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const report = under ? guardReport(child) : undefined;
    this.#child = child;
    const startedAt = Date.now();
    const out = this.#splitter(false);
    const err = this.#splitter(true);
    child.stdout?.on('data', (chunk: Buffer) => {
      this.#sink.read(chunk.length);
      out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#sink.read(chunk.length);
      err.push(chunk);
    });
    const started = () => {
      this.#state = this.#state === 'stopped' ? 'stopped' : 'running';
      log(
        'INFO',
        `stream ${this.#o.name}: started ${JSON.stringify(this.#o.cmd)} (pid ${child.pid})`,
      );
    };
    // Under the guard, the command runs once the guard says so, not when the guard does.
    if (report === undefined) child.once('spawn', started);
    else void report.then((reason) => reason === '' && started());
    // A command that cannot be started emits 'error' and then 'close': its end is handled
    // once, or every failed attempt would arm two restarts.
    let ended = false;
    this.#exited = new Promise((resolve) => {
      const end = (code: number | null, signal: NodeJS.Signals | null, failure?: string) => {
        if (ended) return;
        ended = true;
        out.end();
        err.end();
        this.#exit(code, signal, Date.now() - startedAt, failure);
        resolve();
      };
      // Under the guard, after what the guard said of its exec has been heard: a command that
      // ran and ended at once is a stream that ended, not one that could not start.
      child.once('close', (code, signal) => {
        if (report === undefined) end(code, signal);
        else void report.then(() => end(code, signal));
      });
      child.once('error', (error) => {
        if (child.pid === undefined) end(null, null, spawnReason(error));
      });
    });
    return { child, report };
  }

  #splitter(stderr: boolean): LineSplitter {
    const deliver = (text: string) => {
      if (!stderr) return this.#sink.lines(text, { time: Date.now(), caughtUp: false });
      this.#lastStderr = stripCr(text.slice(text.lastIndexOf('\n') + 1));
      this.#sink.stderr(text);
    };
    return new LineSplitter({
      lines: (batch) => deliver(batch.join('\n')),
      block: deliver,
      overflow: (dropped) => this.#sink.cut(dropped),
    });
  }

  #exit(
    code: number | null,
    signal: NodeJS.Signals | null,
    ranFor: number,
    failure?: string,
  ): void {
    if (this.#state === 'stopped') return;
    if (this.#state === 'starting') {
      // start() reports a command that cannot be started: start-up stops, nothing restarts.
      this.#state = 'stopped';
      return;
    }
    const status =
      failure ?? (signal !== null ? `killed by signal ${signal}` : `exit status ${code}`);
    const said = this.#lastStderr === '' ? '' : `; last stderr line: ${this.#lastStderr}`;
    this.#lastExit = status;
    const cmd = JSON.stringify(this.#o.cmd);
    if (code === 0 && failure === undefined) {
      this.#state = 'finished';
      log(
        'ERROR',
        `stream ${this.#o.name}: ${cmd} ended (${status})${said}; it is not started again`,
      );
      this.#o.onFinished();
      return;
    }
    if (ranFor >= HEALTHY_RUN) this.#backoff = FIRST_BACKOFF;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
    this.#state = 'restarting';
    log(
      'ERROR',
      `stream ${this.#o.name}: ${cmd} died (${status})${said}; starting it again in ${formatDuration(delay)}`,
    );
    this.#restartTimer = setTimeout(() => {
      this.#restarts++;
      this.#lastStderr = '';
      this.#spawn();
    }, delay);
  }
}
