// A stream at run time: owns the stream's process, its restarts and its line splitters.
// Receives the Stream from the configuration; sends batches of lines (stdout and stderr
// alike) to its filters, and its exits to the log and to the daemon. A stream that dies is
// never silent: every exit is logged at ERROR with its status and last stderr line. The
// command runs under build/riposte-stream-guard when it was built, so that it dies with riposte.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Stream } from '../concepts/stream.js';
import { formatDuration } from '../lib/duration.js';
import { countLines, LineSplitter, linesOf, stripCr } from '../lib/lines.js';
import { debugEnabled, log } from '../lib/log.js';
import { LogLimiter } from '../lib/rate-limit.js';
import { which } from '../lib/which.js';
import { spawnReason } from './executor.js';
import type { FilterRuntime } from './filter.js';

const FIRST_BACKOFF = 1000;
const MAX_BACKOFF = 300_000;
/** A stream that ran this long before dying starts again after the first backoff. */
const HEALTHY_RUN = 60_000;
const STOP_GRACE = 5000;
/** native/stream-guard.c: kills the command's process group when riposte dies, even by SIGKILL. */
const GUARD = fileURLToPath(new URL('../../../build/riposte-stream-guard', import.meta.url));

export type StreamState = 'starting' | 'running' | 'restarting' | 'finished' | 'stopped';

export interface StreamStatus {
  readonly state: StreamState;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastExit: string | undefined;
  /** Characters read (lines and their newlines). */
  readonly bytes: number;
  /** Bytes read from the command's output, before decoding. */
  readonly bytesRead: number;
  /** Lines read while they are counted (see countLines). */
  readonly lines: number;
  /** Lines cut at the length limit, and the characters dropped after each cut. */
  readonly cut: number;
  readonly dropped: number;
}

export class StreamRuntime {
  #stream: Stream;
  #filters: readonly FilterRuntime[];
  readonly #onFinished: () => void;
  #child: ChildProcess | undefined;
  #state: StreamState = 'starting';
  #backoff = FIRST_BACKOFF;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #lastExit: string | undefined;
  #lastStderr = '';
  #bytes = 0;
  #bytesRead = 0;
  #lines = 0;
  #cut = 0;
  #dropped = 0;
  #exited: Promise<void> = Promise.resolve();
  /** What a stream writes, an attacker may write: one warning per long line would be theirs to repeat. */
  readonly #cutLog: LogLimiter;

  constructor(stream: Stream, deps: { filters: readonly FilterRuntime[]; onFinished: () => void }) {
    this.#stream = stream;
    this.#filters = deps.filters;
    this.#onFinished = deps.onFinished;
    this.#cutLog = new LogLimiter(`stream ${stream.name}: lines cut`);
  }

  /**
   * Whether lines are counted (`status.lines`): a search of every block for its newlines,
   * about 30 ns a line, paid only when the metrics are served.
   */
  countLines = false;

  get stream(): Stream {
    return this.#stream;
  }

  /**
   * A reload that keeps what the stream reads: its new definition and filters take over from
   * the next block of lines; the command runs on and no line is lost.
   */
  reconfigure(stream: Stream, filters: readonly FilterRuntime[]): void {
    this.#stream = stream;
    this.#filters = filters;
  }

  get status(): StreamStatus {
    return {
      state: this.#state,
      pid: this.#child?.pid,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      bytes: this.#bytes,
      bytesRead: this.#bytesRead,
      lines: this.#lines,
      cut: this.#cut,
      dropped: this.#dropped,
    };
  }

  /** Starts the command; rejects when it cannot be started at all (start-up stops then). */
  start(): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve();
    if (this.#stream.type !== 'cmd') {
      this.#state = 'running';
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const { child, report } = this.#spawnReporting();
      const fail = (reason: string) =>
        reject(
          new Error(
            `cannot start stream ${this.#stream.name}: ${JSON.stringify(this.#stream.cmd)}: ${reason}`,
          ),
        );
      child.once('error', (error) => fail(spawnReason(error)));
      // Under the guard, the spawn is the guard's: the command runs once the guard says so.
      if (report === undefined) child.once('spawn', () => resolve());
      else void report.then((reason) => (reason === '' ? resolve() : fail(reason)));
    });
  }

  /** A line sent by a virtual action, or by another host: counted at `time` (now by default). */
  feed(line: string, time = Date.now()): void {
    this.#deliver(line, false, time);
  }

  /** Stops the command (its whole process group) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    // The child may be a restart spawned a moment ago, not yet reported as running.
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE);
    await this.#exited;
    clearTimeout(kill);
  }

  /** Kills the command's process group at once (second signal: the daemon exits now). */
  kill(): void {
    this.#state = 'stopped';
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null)
      signalGroup(child, 'SIGKILL');
  }

  #spawn(): ChildProcess {
    return this.#spawnReporting().child;
  }

  /** The command's process, and, under the guard, what the guard says of its exec. */
  #spawnReporting(): { child: ChildProcess; report: Promise<string> | undefined } {
    const argv = guarded(this.#stream.cmd);
    const [program, ...args] = argv;
    const under = argv !== this.#stream.cmd;
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
      this.#bytesRead += chunk.length;
      out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#bytesRead += chunk.length;
      err.push(chunk);
    });
    const started = () => {
      this.#state = this.#state === 'stopped' ? 'stopped' : 'running';
      log(
        'INFO',
        `stream ${this.#stream.name}: started ${JSON.stringify(this.#stream.cmd)} (pid ${child.pid})`,
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
    return new LineSplitter({
      lines: (batch) => this.#deliver(batch.join('\n'), stderr),
      block: (text) => this.#deliver(text, stderr),
      overflow: (dropped) => {
        this.#cut++;
        this.#dropped += dropped;
        this.#cutLog.log(
          'WARN',
          `stream ${this.#stream.name}: a line longer than 64 KiB was cut; ${dropped} characters dropped`,
        );
      },
    });
  }

  /** A block of lines read at `now` (see LineSplitter): to every filter of the stream. */
  #deliver(block: string, stderr = false, now = Date.now()): void {
    this.#bytes += block.length + 1;
    if (this.countLines) this.#lines += countLines(block);
    if (stderr) this.#lastStderr = stripCr(block.slice(block.lastIndexOf('\n') + 1));
    if (debugEnabled())
      for (const line of linesOf(block)) log('DEBUG', `stream ${this.#stream.name}: ${line}`);
    for (const filter of this.#filters) filter.block(block, now);
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
    if (code === 0 && failure === undefined) {
      this.#state = 'finished';
      log(
        'ERROR',
        `stream ${this.#stream.name}: ${JSON.stringify(this.#stream.cmd)} ended (${status})${said}; it is not started again`,
      );
      this.#onFinished();
      return;
    }
    if (ranFor >= HEALTHY_RUN) this.#backoff = FIRST_BACKOFF;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
    this.#state = 'restarting';
    log(
      'ERROR',
      `stream ${this.#stream.name}: ${JSON.stringify(this.#stream.cmd)} died (${status})${said}; starting it again in ${formatDuration(delay)}`,
    );
    this.#restartTimer = setTimeout(() => {
      this.#restarts++;
      this.#lastStderr = '';
      this.#spawn();
    }, delay);
  }
}

let guard: boolean | undefined;

/**
 * The argv to spawn: the command under the guard when the guard exists and the program is
 * found (a program that is not is spawned as it is, for Node to say why it cannot start).
 */
function guarded(cmd: readonly string[]): readonly string[] {
  guard ??= hasGuard();
  return guard && which(cmd[0]!) !== undefined ? [GUARD, ...cmd] : cmd;
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

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
