// Shared measuring tools of the benchmark suite: runs a command under GNU time (wall time,
// CPU of the whole process tree, peak RSS), repeats runs and sums them up as median and
// spread, reads a process's memory from /proc, and makes the genlog input once per size.
// Receives argv lists and sizes; sends samples, summaries and file paths.

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository's root, from dist/bench/ where the compiled suite runs. */
export const ROOT = resolve(import.meta.dirname, '../..');
export const MAIN = join(ROOT, 'dist/bundle/main.js');
export const BENCH_SRC = join(ROOT, 'bench');
/** Inputs are cached here between runs of the suite; results go to bench/results/. */
export const CACHE = '/tmp/riposte-bench';
export const GNU_TIME = '/usr/bin/time';

export interface Sample {
  /** Seconds from spawn to exit, measured here. */
  readonly wall: number;
  /** Seconds from spawn to the first stderr line holding `stopAfter.marker`, if seen. */
  readonly markerWall: number | undefined;
  /** Whether the process was killed: past `timeout`, or still running `grace` s after the marker. */
  readonly killed: boolean;
  /** User + system seconds of the process and every child it waited for. */
  readonly cpu: number;
  /** Peak resident set of the largest process of the tree, in MB. */
  readonly rssMb: number;
  readonly status: number | null;
  readonly stdout: string;
  /** Where stderr went (kept for the caller to parse, e.g. a daemon's log). */
  readonly stderrFile: string;
}

export interface RunOptions {
  /** A file given as standard input. */
  readonly stdin?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the run after this many seconds. */
  readonly timeout?: number;
  /** A process that logs `marker` to stderr ("stopped") and is still there `grace` s later is killed. */
  readonly stopAfter?: { readonly marker: string; readonly grace: number };
}

/** The processes under `pid`, children first, from /proc. */
function descendants(pid: number): number[] {
  const children = readText(`/proc/${pid}/task/${pid}/children`)
    .trim()
    .split(/\s+/)
    .filter((c) => c !== '')
    .map(Number);
  return children.flatMap((c) => [c, ...descendants(c)]);
}

/** Kills every process GNU time runs, not time itself, which then still reports on them. */
function killChildren(pid: number | undefined): void {
  if (pid === undefined) return;
  for (const child of descendants(pid)) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Watches a growing file for a text; calls `seen` once, when it appears. */
function watchFor(file: string, marker: string, seen: () => void): () => void {
  let offset = 0;
  let carry = '';
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  const timer = setInterval(() => {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      if (n <= 0) return;
      offset += n;
      const text = carry + buffer.toString('utf8', 0, n);
      if (text.includes(marker)) {
        clearInterval(timer);
        seen();
        return;
      }
      carry = text.slice(-marker.length);
    }
  }, 100);
  return () => {
    clearInterval(timer);
    closeSync(fd);
  };
}

/** Runs argv once under GNU time; stdout is captured, stderr goes to a file. */
export function timed(argv: readonly string[], options: RunOptions = {}): Promise<Sample> {
  const dir = mkdtempSync(join(CACHE, 'run-'));
  const timeFile = join(dir, 'time');
  const stderrFile = join(dir, 'stderr');
  const stdin = options.stdin === undefined ? 'ignore' : openSync(options.stdin, 'r');
  const stderr = openSync(stderrFile, 'w');
  const start = performance.now();
  const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, ...argv], {
    stdio: [stdin, 'pipe', stderr],
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  let killed = false;
  const kill = () => {
    killed = true;
    killChildren(child.pid);
  };
  const timers: NodeJS.Timeout[] = [];
  if (options.timeout !== undefined) timers.push(setTimeout(kill, options.timeout * 1000));
  let markerWall: number | undefined;
  const stop = options.stopAfter;
  const unwatch =
    stop === undefined
      ? () => undefined
      : watchFor(stderrFile, stop.marker, () => {
          markerWall = (performance.now() - start) / 1000;
          timers.push(setTimeout(kill, stop.grace * 1000));
        });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('close', (status) => {
      const wall = (performance.now() - start) / 1000;
      for (const timer of timers) clearTimeout(timer);
      unwatch();
      if (typeof stdin === 'number') closeSync(stdin);
      closeSync(stderr);
      const [user = 0, sys = 0, kb = 0] = lastLine(readText(timeFile)).split(' ').map(Number);
      done({
        wall,
        markerWall,
        killed,
        cpu: user + sys,
        rssMb: kb / 1024,
        status,
        stdout: Buffer.concat(chunks).toString('utf8'),
        stderrFile,
      });
    });
  });
}

/** GNU time writes "Command exited with non-zero status N" before its format line. */
function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted[n - 1] ?? Number.NaN, n };
}

/** The same figure, a spread of a per-run quantity (e.g. lines / wall). */
export function spreadOf<T>(samples: readonly T[], figure: (s: T) => number): Spread {
  return spread(samples.map(figure));
}

/** Runs `run` n times, one after the other. */
export async function repeat<T>(n: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const samples: T[] = [];
  for (let i = 0; i < n; i++) samples.push(await run(i));
  return samples;
}

/**
 * Runs `run` up to `max` times while another run still fits in `budget` seconds (judged by
 * the last run's duration), and at least once: slow figures get fewer runs so that the whole
 * suite keeps to its time, and say so with their n.
 */
export async function repeatWithin<T>(
  o: { max: number; budget: number },
  run: (i: number) => Promise<T>,
): Promise<T[]> {
  const samples: T[] = [];
  const start = performance.now();
  let last = 0;
  while (samples.length < o.max) {
    const elapsed = (performance.now() - start) / 1000;
    if (samples.length > 0 && elapsed + last > o.budget) break;
    const t = performance.now();
    samples.push(await run(samples.length));
    last = (performance.now() - t) / 1000;
  }
  return samples;
}

/** A fresh directory under the cache, removed by the caller with `rmSync`. */
export function scratch(label: string): string {
  mkdirSync(CACHE, { recursive: true });
  return mkdtempSync(join(CACHE, `${label}-`));
}

/** Removes what timed() left behind (GNU time's output, stderr files) once they were read. */
export function cleanRuns(): void {
  if (!existsSync(CACHE)) return;
  for (const name of readdirSync(CACHE)) if (name.startsWith('run-')) remove(join(CACHE, name));
}

export function remove(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Resident and peak resident memory of a live process, in MB, from /proc. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readText(`/proc/${pid}/status`);
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds of a live process, its own and its reaped children's. */
export function cpuOf(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  // Fields after the command name, which may hold spaces, closed by the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / 100;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/**
 * The genlog file of `lines` lines (bench/genlog.py, deterministic), made once and cached:
 * python3 genlog.py N [fail_ratio] [attackers].
 */
export function genlog(lines: number, ratio = 0.1, attackers = 5000): string {
  mkdirSync(CACHE, { recursive: true });
  const path = join(CACHE, `ssh-${lines}-${ratio}-${attackers}.log`);
  if (existsSync(path)) return path;
  const partial = `${path}.partial`;
  const out = openSync(partial, 'w');
  const made = spawnSync(
    'python3',
    [join(BENCH_SRC, 'genlog.py'), String(lines), String(ratio), String(attackers)],
    { stdio: ['ignore', out, 'inherit'] },
  );
  closeSync(out);
  if (made.status !== 0) throw new Error(`genlog.py ${lines} failed (status ${made.status})`);
  renameSync(partial, path);
  return path;
}

/** The first `lines` lines of a file, cached beside it. */
export function slice(file: string, lines: number): string {
  const path = `${file}.head${lines}`;
  if (existsSync(path)) return path;
  const out = openSync(`${path}.partial`, 'w');
  spawnSync('head', ['-n', String(lines), file], { stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  renameSync(`${path}.partial`, path);
  return path;
}

/** A program's version line, or "not installed". */
export function versionOf(argv: readonly string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.error !== undefined) return 'not installed';
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
}
