// The black-box harness: runs the real daemon (`node dist/bundle/main.js start`) in a fresh
// temporary directory, feeds it lines through fifos, reads what its actions wrote to files,
// drives it with the real CLI, kills and restarts it. Owns the temporary directories and
// every process they started; cleans both up after each test, whether it passed or not.

import { execFile, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository: this file runs from dist/test/daemon/. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MAIN = join(ROOT, 'dist/bundle/main.js');

/** How long a condition may take to come true: generous, slow machines must not fail tests. */
export const DEADLINE = 20_000;
const POLL = 25;

export type Config = Record<string, unknown>;

/** The patterns most tests use: an address, and the number of a marker line. */
export const PATTERNS: Config = { ip: { type: 'ip' }, n: { regex: '[0-9]+' } };

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Kill actions running longer than this (`--action-timeout`); default 20s. */
  readonly actionTimeout?: string;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Another control socket than the sandbox's. */
  readonly socket?: string;
  /** More environment for the daemon (NOTIFY_SOCKET…). */
  readonly env?: Readonly<Record<string, string>>;
  /** A network namespace to run the daemon in (`ip netns exec`, which keeps its pid). */
  readonly netns?: string;
}

/** Small shell scripts the tests use as actions and streams; each takes its output file first. */
const SCRIPTS: Readonly<Record<string, string>> = {
  // record FILE WORD…: appends the words as one line.
  record: 'out=$1; shift; printf "%s\\n" "$*" >> "$out"',
  // stamp FILE WORD…: appends the words and the time in ms.
  stamp: 'out=$1; shift; printf "%s %s\\n" "$*" "$(date +%s%3N)" >> "$out"',
  // slow FILE NAME: appends "start NAME ns", sleeps, appends "end NAME ns".
  slow: [
    'echo "start $2 $(date +%s%N)" >> "$1"',
    'sleep 0.3',
    'echo "end $2 $(date +%s%N)" >> "$1"',
  ].join('\n'),
  // fail FILE WORD…: records its run, says so on stderr and exits 3.
  fail: 'out=$1; shift; printf "%s\\n" "$*" >> "$out"; echo "boom $*" >&2; exit 3',
  // hang FILE WORD…: records its run and its pid, then sleeps for ever.
  hang: 'out=$1; shift; printf "%s %s\\n" "$*" "$$" >> "$out"; exec sleep 100000',
  // wait-for FILE WORD BARRIER: records "WORD", waits (20 s at most) for BARRIER to exist,
  // records "WORD done"; exits 1 if BARRIER never came.
  'wait-for': [
    'printf "%s\\n" "$2" >> "$1"',
    'i=0',
    'while [ ! -e "$3" ] && [ $i -lt 800 ]; do sleep 0.025; i=$((i + 1)); done',
    '[ -e "$3" ] || exit 1',
    'printf "%s done\\n" "$2" >> "$1"',
  ].join('\n'),
};

/** A temporary directory with its own daemon, fifos and scripts. */
export class Sandbox {
  readonly dir: string;
  readonly socket: string;
  readonly #fds: number[] = [];
  readonly #mounts: string[] = [];
  readonly #daemons: Daemon[] = [];
  #markers = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'rdt-'));
    this.socket = join(this.dir, 'riposte.sock');
    for (const [name, body] of Object.entries(SCRIPTS)) this.script(name, body);
  }

  path(...names: string[]): string {
    return join(this.dir, ...names);
  }

  /** Writes an executable shell script; returns its path. */
  script(name: string, body: string): string {
    const path = this.path(name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** The argv of a sandbox script with its output file: `sb.cmd('record', 'actions.log', 'ban', '<ip>')`. */
  cmd(script: string, file: string, ...args: string[]): string[] {
    return [this.path(script), this.path(file), ...args];
  }

  /** A fifo the test writes lines to; a stream reads it with `['cat', fifo.path]`. */
  fifo(name = 'in.fifo'): Fifo {
    const path = this.path(name);
    const made = spawnSync('mkfifo', [path]);
    if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
    // Read-write: opening never blocks, and what is written waits in the pipe for the next
    // reader when the stream's reader was killed.
    const fd = openSync(path, constants.O_RDWR);
    this.#fds.push(fd);
    return new Fifo(path, fd);
  }

  /** The lines of a file of the sandbox; none when it does not exist yet. */
  lines(file: string): string[] {
    const path = this.path(file);
    if (!existsSync(path)) return [];
    const text = readFileSync(path, 'utf8');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  }

  /**
   * A filter for marker lines ("marker 3") whose action records "marker 3" in `file`: with
   * `concurrency: 1` actions run one at a time in order, so once a marker is recorded every
   * action queued before it has finished. It needs the pattern `n` (see PATTERNS).
   */
  markerFilter(file = 'actions.log'): Config {
    return {
      regex: ['^marker <n>$'],
      actions: { mark: { cmd: this.cmd('record', file, 'marker', '<n>') } },
    };
  }

  /**
   * The configuration most tests run: stream `s` reads `in.fifo` (see fifo()) through
   * `filters` and the marker filter, one action at a time, with PATTERNS; `extra` adds
   * top-level keys.
   */
  fifoConfig(filters: Config, extra: Config = {}): Config {
    return {
      concurrency: 1,
      patterns: PATTERNS,
      streams: {
        s: {
          cmd: ['cat', this.path('in.fifo')],
          filters: { ...filters, marker: this.markerFilter() },
        },
      },
      ...extra,
    };
  }

  /** Sends a marker line and waits until its action has recorded it. */
  async mark(fifo: Fifo, daemon: Daemon, file = 'actions.log', deadline = DEADLINE): Promise<void> {
    const n = ++this.#markers;
    fifo.write(`marker ${n}`);
    await daemon.waitFile(file, (lines) => lines.includes(`marker ${n}`), deadline);
  }

  /**
   * Waits until the daemon has no action running or waiting, then until what they wrote is
   * durable: a `flush` is answered only after a commit of every write queued before it (this
   * one selects nothing, it needs the pattern `n`). A crash after settle() loses nothing, so
   * a test can tell exactly what a restart must run.
   */
  async settle(daemon: Daemon): Promise<void> {
    const end = Date.now() + DEADLINE;
    for (;;) {
      const r = await this.cli('status', '-f', 'json');
      if (r.code !== 0) throw new Error(`riposte status failed (${r.code}): ${r.stderr}`);
      const actions = (JSON.parse(r.stdout) as { actions: { running: number; waiting: number } })
        .actions;
      if (actions.running === 0 && actions.waiting === 0) break;
      if (Date.now() > end)
        throw new Error(`actions still running: ${JSON.stringify(actions)}\n${daemon.log}`);
      await sleep(POLL);
    }
    const r = await this.cli('flush', 'n=none');
    if (r.code !== 0) throw new Error(`riposte flush failed (${r.code}): ${r.stderr}`);
  }

  /** Writes the configuration as JSON (state_directory defaults to state/ in the sandbox). */
  writeConfig(config: Config): string {
    const path = this.path('riposte.json');
    writeFileSync(
      path,
      JSON.stringify({ state_directory: this.path('state'), ...config }, null, 2),
    );
    return path;
  }

  /** Starts the daemon on this sandbox (a restart when one ran before: same state, same socket). */
  start(config: Config, options: StartOptions = {}): Daemon {
    const file = this.writeConfig(config);
    const args = [MAIN, 'start', '-c', file, '-s', options.socket ?? this.socket];
    args.push('--action-timeout', options.actionTimeout ?? '20s');
    if (options.logLevel !== undefined) args.push('-l', options.logLevel);
    const [program, ...rest] =
      options.netns === undefined
        ? [process.execPath, ...args]
        : ['ip', 'netns', 'exec', options.netns, process.execPath, ...args];
    const child = spawn(program!, rest, {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, RIPOSTE_TEST_SANDBOX: this.dir },
    });
    const daemon = new Daemon(this, child.pid!, child);
    this.#daemons.push(daemon);
    return daemon;
  }

  /** Starts the daemon and waits until it says it has started. */
  async started(config: Config, options: StartOptions = {}): Promise<Daemon> {
    const daemon = this.start(config, options);
    await daemon.waitLog(/INFO {2}riposte \S+ started: /);
    return daemon;
  }

  /** Runs a client command against the sandbox's socket. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        process.execPath,
        [MAIN, ...args, '-s', this.socket],
        { cwd: this.dir, timeout: DEADLINE },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          done({ code, stdout, stderr });
        },
      );
    });
  }

  /** `riposte show -f json`, as `stream → filter → match → {matches, actions: {name: [due ms]}}`. */
  async show(...selectors: string[]): Promise<Report> {
    const r = await this.cli('show', '-f', 'json', ...selectors);
    if (r.code !== 0) throw new Error(`riposte show failed (${r.code}): ${r.stderr}`);
    return normaliseReport(JSON.parse(r.stdout));
  }

  /** Mounts a tmpfs on a new directory of the sandbox (root only); unmounted at cleanup. */
  mountTmpfs(name: string, options: string): string | undefined {
    const path = this.path(name);
    mkdirSync(path, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path]);
    if (r.status !== 0) return undefined;
    this.#mounts.push(path);
    return path;
  }

  /** Kills every process the sandbox started, unmounts, closes the fifos, removes the directory. */
  cleanup(): void {
    for (const daemon of this.#daemons.splice(0)) daemon.killNow();
    killMarked(this.dir);
    for (const fd of this.#fds.splice(0)) closeSync(fd);
    for (const path of this.#mounts.splice(0).reverse()) spawnSync('umount', ['-l', path]);
    if (process.env['RIPOSTE_KEEP_TEST_DIRS'] === undefined)
      rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A new sandbox, cleaned up when the test ends. */
export function sandbox(t: TestContext): Sandbox {
  const sb = new Sandbox();
  t.after(() => sb.cleanup());
  return sb;
}

export class Fifo {
  readonly path: string;
  readonly #fd: number;

  constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /** Writes lines (each gets a newline), in one write so that the stream reads them together. */
  write(...lines: string[]): void {
    this.writeBytes(Buffer.from(lines.map((l) => `${l}\n`).join('')));
  }

  writeBytes(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset);
  }
}

/** A daemon process and everything it wrote to stderr (its log). */
export class Daemon {
  readonly pid: number;
  readonly #sandbox: Sandbox;
  readonly #child: ReturnType<typeof spawn>;
  readonly exited: Promise<Exit>;
  #log = '';
  #stdout = '';
  #exit: Exit | undefined;

  constructor(sb: Sandbox, pid: number, child: ReturnType<typeof spawn>) {
    this.#sandbox = sb;
    this.pid = pid;
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.#log += text;
    });
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.#stdout += text;
    });
    // The exit, once the log is read to its end. Not 'close': actions inherit the daemon's
    // stdout, and one left running after a crash would hold it open.
    const logEnd = new Promise((done) => child.stderr?.once('close', done));
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        void logEnd.then(() => {
          this.#exit = { code, signal };
          done(this.#exit);
        });
      }),
    );
  }

  /** The log so far (stderr). */
  get log(): string {
    return this.#log;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The log lines that contain `fragment`. */
  logLines(fragment: string | RegExp): string[] {
    return this.#log
      .split('\n')
      .filter((l) => (typeof fragment === 'string' ? l.includes(fragment) : fragment.test(l)));
  }

  /** Waits until `count` log lines contain `fragment`; returns the last of them. */
  async waitLog(fragment: string | RegExp, count = 1): Promise<string> {
    return until(`${count} log line(s) matching ${String(fragment)}`, this, () => {
      const lines = this.logLines(fragment);
      return lines.length >= count ? lines[count - 1] : undefined;
    });
  }

  /** Waits until a file of the sandbox has at least `count` lines (or the lines `check` wants). */
  waitFile(
    file: string,
    check: number | ((lines: string[]) => boolean),
    deadline = DEADLINE,
  ): Promise<string[]> {
    const ok = typeof check === 'number' ? (l: string[]) => l.length >= check : check;
    return until(
      `${file} to be as expected`,
      this,
      () => {
        const lines = this.#sandbox.lines(file);
        return ok(lines) ? lines : undefined;
      },
      deadline,
    );
  }

  /** Waits for the daemon to exit (20 s at most). */
  waitExit(): Promise<Exit> {
    return until('the daemon to exit', this, () => this.#exit);
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** SIGTERM, then waits for the exit. */
  async stop(): Promise<Exit> {
    this.signal('SIGTERM');
    return this.waitExit();
  }

  /**
   * A crash: the daemon is frozen, killed with SIGKILL, and so is every process it started
   * (streams, actions), as systemd or a reboot would. Waits until they are gone.
   */
  async crash(): Promise<void> {
    if (!this.running) throw new Error('the daemon is not running');
    process.kill(this.pid, 'SIGSTOP');
    const family = [this.pid, ...descendants(this.pid)];
    for (const pid of family) killQuietly(pid, 'SIGKILL');
    await this.waitExit();
    await until('the processes of the killed daemon to be gone', this, () =>
      family.every((pid) => !alive(pid)) ? true : undefined,
    );
  }

  /** Cleanup: SIGKILL to the daemon and its descendants, at once, without waiting. */
  killNow(): void {
    if (!this.running) return;
    const family = [this.pid, ...descendants(this.pid)];
    for (const pid of family) killQuietly(pid, 'SIGKILL');
    this.#child.stdout?.destroy();
    this.#child.stderr?.destroy();
  }

  /** Peak resident memory of the daemon so far, in kB (VmHWM). */
  peakRss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    if (match === null) throw new Error(`no VmHWM in /proc/${this.pid}/status`);
    return Number(match[1]);
  }
}

/** A timed scenario found that the machine was too slow for its delays: it is run again, slower. */
export class TooSlow extends Error {
  override readonly name = 'TooSlow';
}

/**
 * `RIPOSTE_STRICT_TIMING=1` (CI sets it): a timed scenario that is too slow for its delays
 * fails at once instead of running again with longer ones, so that a daemon that became slow
 * is seen rather than waited for. Without it a busy machine only makes the tests slower.
 */
export const STRICT_TIMING = process.env['RIPOSTE_STRICT_TIMING'] === '1';

/** The factors a timed scenario's delays are run with, in turn, while it is too slow. */
export const DELAY_FACTORS: readonly number[] = STRICT_TIMING ? [1] : [1, 3, 9];

/** What a TooSlow on the last try says: why the scenario is not run again. */
export function lastTry(error: TooSlow): Error {
  if (!STRICT_TIMING) return error;
  return new TooSlow(
    `${error.message} (RIPOSTE_STRICT_TIMING=1: not run again with longer delays)`,
  );
}

/**
 * Throws TooSlow when `delay` ms have passed since `start` (a Date.now() taken before the
 * events that started the delay): a test calls it before asserting what must happen before
 * a delayed action runs, or a count expires. Everything the daemon did between `start` and
 * now did happen within the delay, so the check is sound on any machine.
 */
export function inTime(start: number, delay: number): void {
  const spent = Date.now() - start;
  if (spent >= delay) throw new TooSlow(`${spent} ms spent of a ${delay} ms delay`);
}

/**
 * Throws TooSlow when an action that ran at `at` (ms since the epoch) was due at `due` and
 * ran more than half its `delay` (and at least a second) late: the bound is generous, but a
 * timer that fires late by as much as its delay fails at every factor of DELAY_FACTORS.
 */
export function notLate(at: number, due: number, delay: number): void {
  const slack = Math.max(1000, delay / 2);
  if (at - due > slack)
    throw new TooSlow(`ran ${at - due} ms after its due time, over ${slack} ms`);
}

/**
 * Runs a timed scenario in a new sandbox with `delay` ms, then 3 and 9 times as long while
 * it throws TooSlow: tests use short delays, and a slow machine only makes them slower
 * (see STRICT_TIMING).
 */
export async function patiently(
  t: TestContext,
  delay: number,
  scenario: (sb: Sandbox, delay: number) => Promise<void>,
): Promise<void> {
  for (const factor of DELAY_FACTORS) {
    const sb = sandbox(t);
    try {
      await scenario(sb, delay * factor);
      return;
    } catch (error) {
      if (!(error instanceof TooSlow)) throw error;
      if (factor === DELAY_FACTORS.at(-1)) throw lastTry(error);
      t.diagnostic(
        `too slow with a delay of ${delay * factor} ms (${error.message}): again, slower`,
      );
    } finally {
      sb.cleanup();
    }
  }
}

/** Polls `check` until it returns something other than undefined; fails with the log after the deadline. */
export async function until<T>(
  what: string,
  daemon: Daemon | undefined,
  check: () => T | undefined,
  deadline = DEADLINE,
): Promise<T> {
  const end = Date.now() + deadline;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) {
      const log = daemon === undefined ? '' : `\n--- daemon log ---\n${daemon.log}`;
      throw new Error(`timed out after ${deadline / 1000} s waiting for ${what}${log}`);
    }
    await sleep(POLL);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Waits until the clock has passed `time` (ms since the epoch). */
export async function sleepUntil(time: number): Promise<void> {
  while (Date.now() <= time) await sleep(Math.min(time - Date.now() + 1, 200));
}

/** `show`'s report, with due times in ms: stream → filter → match → counts and pending actions. */
export type Report = Record<
  string,
  Record<string, Record<string, { matches?: number; actions?: Record<string, number[]> }>>
>;

/**
 * Reads what `show -f json` prints: the nested report of behaviour §3 (due times in ISO
 * 8601), or a list of per-filter columns ({stream, filter, counts: {match, value}, actions:
 * {name: {match, value}}}, due times in ms), as the control protocol sends it.
 */
function normaliseReport(printed: unknown): Report {
  const report: Report = {};
  const entry = (stream: string, filter: string, match: string) => {
    report[stream] ??= {};
    report[stream][filter] ??= {};
    report[stream][filter][match] ??= {};
    return report[stream][filter][match];
  };
  const due = (time: unknown) => (typeof time === 'number' ? time : Date.parse(String(time)));
  if (Array.isArray(printed)) {
    type Column = { match: string[]; value: number[] };
    for (const f of printed as {
      stream: string;
      filter: string;
      counts: Column;
      actions: Record<string, Column>;
    }[]) {
      f.counts.match.forEach((m, i) => {
        entry(f.stream, f.filter, m).matches = f.counts.value[i]!;
      });
      for (const [name, column] of Object.entries(f.actions)) {
        column.match.forEach((m, i) => {
          const e = entry(f.stream, f.filter, m);
          e.actions ??= {};
          e.actions[name] = [...(e.actions[name] ?? []), due(column.value[i])];
        });
      }
    }
    return report;
  }
  type Printed = Record<
    string,
    Record<string, Record<string, { matches?: number; actions?: Record<string, unknown[]> }>>
  >;
  for (const [stream, filters] of Object.entries(printed as Printed)) {
    for (const [filter, matches] of Object.entries(filters)) {
      for (const [match, r] of Object.entries(matches)) {
        const e = entry(stream, filter, match);
        if (r.matches !== undefined) e.matches = r.matches;
        if (r.actions !== undefined) {
          e.actions = {};
          for (const [name, times] of Object.entries(r.actions)) e.actions[name] = times.map(due);
        }
      }
    }
  }
  return report;
}

/** The time a log line was written (its ISO 8601 prefix), in ms. */
export function logTime(line: string): number {
  const time = Date.parse(line.slice(0, line.indexOf(' ')));
  if (Number.isNaN(time)) throw new Error(`no time at the start of log line: ${line}`);
  return time;
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every process below `pid` now, from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Kills the processes whose environment names the sandbox: orphans of a killed daemon too. */
function killMarked(dir: string): void {
  const marker = `RIPOSTE_TEST_SANDBOX=${dir}\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker))
        killQuietly(Number(entry), 'SIGKILL');
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
