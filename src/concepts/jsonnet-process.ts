// Evaluates Jsonnet files in a child process (jsonnet.ts) bounded in time and memory: a
// configuration may loop, grow without end or crash libjsonnet, and must cost riposte
// neither its memory nor its life. Receives the Jsonnet files of a configuration; sends,
// for each, a Document, or a ConfigError at the file:line:col the engine reports or saying
// how the evaluator was stopped.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { ConfigError } from '../lib/errors.js';
import { readRegularFile } from '../lib/regular-file.js';
import { type Document, keyPath, MAX_SOURCE, plainCopy, shapeError } from './document.js';
import type { Result } from './jsonnet.js';
import { type Redact, redactor } from './redact.js';

const EVALUATOR = fileURLToPath(new URL('./jsonnet.js', import.meta.url));
const MIB = 1024 * 1024;
/** How often the evaluator's memory is read: it grows a few hundred MiB a second at most here. */
const WATCH = 10;
/** How long the evaluator may take to start (Node and the Jsonnet binding) on a busy machine. */
const START = 30_000;
/** What is read of each data file to mask it in messages (see redact.ts). */
const DATA_READ = MIB;

export interface Limits {
  /** Per file, in ms. */
  readonly time: number;
  /** Resident and swapped memory of the evaluator, in bytes. */
  readonly memory: number;
}

/** 10 s and 1 GiB, or RIPOSTE_JSONNET_TIMEOUT (a duration) and RIPOSTE_JSONNET_MEMORY (MiB). */
export function jsonnetLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const time = parseDuration(env['RIPOSTE_JSONNET_TIMEOUT'] ?? '10s');
  if (typeof time !== 'number' || time === 0)
    throw new ConfigError('RIPOSTE_JSONNET_TIMEOUT', 'expected a duration such as "10s"');
  const memory = Number(env['RIPOSTE_JSONNET_MEMORY'] ?? '1024');
  if (!Number.isInteger(memory) || memory < 64)
    throw new ConfigError('RIPOSTE_JSONNET_MEMORY', 'expected a number of MiB, at least 64');
  return { time, memory: memory * MIB };
}

export interface JsonnetFile {
  /** As messages show it. */
  readonly file: string;
  readonly absolute: string;
}

/** Every file evaluated, in order; a file that stops the evaluator costs only itself. */
export async function evaluateJsonnet(
  files: readonly JsonnetFile[],
  limits: Limits = jsonnetLimits(),
): Promise<(Document | ConfigError)[]> {
  const results: (Document | ConfigError)[] = [];
  while (results.length < files.length) {
    const rest = files.slice(results.length);
    const { answered, stopped } = await run(rest, limits);
    for (const [i, answer] of answered.entries()) results.push(await documentOf(rest[i]!, answer));
    if (stopped !== undefined) results.push(new ConfigError(rest[answered.length]!.file, stopped));
  }
  return results;
}

interface Answer {
  readonly result: Result;
  readonly output: string;
}

/** Runs one evaluator on `files`: the answers it gave, and why it stopped before the next. */
function run(
  files: readonly JsonnetFile[],
  limits: Limits,
): Promise<{ answered: Answer[]; stopped?: string }> {
  const heap = `--max-old-space-size=${Math.ceil(limits.memory / MIB)}`;
  const child = spawn(process.execPath, [heap, EVALUATOR], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  child.stdin.end(JSON.stringify(files.map((f) => f.absolute)));
  const answers = new Answers();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2048);
  });
  return new Promise((resolve) => {
    let stopped: string | undefined;
    const stop = (why: string): void => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    // Time counts from the moment the evaluator is ready: starting Node is not evaluating.
    const onStart = () => stop(`the evaluator did not start within ${formatDuration(START)}`);
    const onTime = () => stop(`the evaluator was killed after ${formatDuration(limits.time)}`);
    let timer = setTimeout(onStart, START);
    const watch = setInterval(() => {
      if (usedMemory(child) > limits.memory)
        stop(`the evaluator used more than ${formatSize(limits.memory)} of memory and was killed`);
    }, WATCH);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = answers.list.length + (answers.ready ? 1 : 0);
      if (!answers.push(chunk)) stop('the evaluator sent a malformed answer');
      if (answers.list.length + (answers.ready ? 1 : 0) === before) return;
      clearTimeout(timer);
      timer = setTimeout(onTime, limits.time);
    });
    // A child that cannot be started at all reports 'error', then 'close'.
    child.on('error', (error) => {
      stopped ??= `the evaluator cannot be started: ${error.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      const answered = answers.list.slice(0, files.length);
      if (answered.length === files.length) resolve({ answered });
      else
        resolve({
          answered,
          stopped: `cannot evaluate Jsonnet: ${stopped ?? ended(code, signal, stderr)}`,
        });
    });
  });
}

/** The evaluator's resident and swapped memory in bytes, from /proc; 0 where it cannot be read. */
function usedMemory(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'latin1');
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return (kb('VmRSS') + kb('VmSwap')) * 1024;
  } catch {
    return 0;
  }
}

function ended(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  if (signal === 'SIGSEGV') return 'the evaluator crashed (signal SIGSEGV): nesting too deep?';
  if (signal !== null) return `the evaluator crashed (signal ${signal})`;
  const last = stderr.trim().split('\n').pop() ?? '';
  return `the evaluator exited with status ${code}${last === '' ? '' : `: ${last}`}`;
}

function formatSize(bytes: number): string {
  return bytes % (1024 * MIB) === 0
    ? `${bytes / 1024 / MIB} GiB`
    : `${Math.round(bytes / MIB)} MiB`;
}

/** What the evaluator writes first, once it can evaluate. */
export const READY = 'ready';
/** A header that makes push() say the stream is malformed. */
const MALFORMED = {
  result: { ok: false, data: [], engine: '' },
  bytes: Number.POSITIVE_INFINITY,
} as const;

/** Cuts the evaluator's stdout into answers: "ready", then per file a header line and its output. */
class Answers {
  readonly list: Answer[] = [];
  ready = false;
  #chunks: Buffer[] = [];
  #length = 0;
  /** The header read, whose output is awaited; its output is joined once, when whole. */
  #header: { result: Result; bytes: number } | undefined;

  /** False when the stream is not made of answers. */
  push(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    for (;;) {
      if (this.#header === undefined) {
        if (!this.#readHeader()) return this.#length <= 64 * 1024;
        if (this.#header === undefined) continue;
      }
      const header = this.#header!;
      if (header.bytes > MAX_SOURCE) return false;
      if (this.#length < header.bytes) return true;
      const data = this.#take();
      this.list.push({ result: header.result, output: data.toString('utf8', 0, header.bytes) });
      this.#keep(data.subarray(header.bytes));
      this.#header = undefined;
    }
  }

  /** Reads a header when a whole line is there; throws nothing, answers whether it did. */
  #readHeader(): boolean {
    const data = this.#take();
    this.#keep(data);
    const newline = data.indexOf(10);
    if (newline < 0) return false;
    if (!this.ready) {
      this.ready = data.toString('utf8', 0, newline) === READY;
      this.#keep(data.subarray(newline + 1));
      if (!this.ready) this.#header = MALFORMED;
      return true;
    }
    try {
      const result = JSON.parse(data.toString('utf8', 0, newline)) as Result;
      this.#header = { result, bytes: result.ok ? result.bytes : 0 };
    } catch {
      this.#header = {
        result: { ok: false, data: [], engine: '' },
        bytes: Number.POSITIVE_INFINITY,
      };
    }
    this.#keep(data.subarray(newline + 1));
    return true;
  }

  #take(): Buffer {
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#length);
  }

  #keep(rest: Buffer): void {
    this.#chunks = rest.length === 0 ? [] : [rest];
    this.#length = rest.length;
  }
}

async function documentOf(file: JsonnetFile, answer: Answer): Promise<Document | ConfigError> {
  const redact = redactor(await dataOf(answer.result.data));
  const { result } = answer;
  if (result.ok) return outputDocument(file.file, answer.output, redact);
  if ('engine' in result) return engineError(file, result, redact);
  const at = result.path === file.absolute ? file.file : displayPath(result.path);
  const place = result.line === undefined ? at : `${at}:${result.line}:${result.col}`;
  return new ConfigError(place, redact(result.reason));
}

function outputDocument(file: string, output: string, redact: Redact): Document | ConfigError {
  const value = JSON.parse(output) as unknown;
  const misshapen = shapeError(value);
  if (misshapen !== undefined) {
    const at = misshapen.path.length === 0 ? '' : `${keyPath(misshapen.path)}: `;
    return new ConfigError(file, redact(`${at}cannot evaluate Jsonnet: ${misshapen.reason}`));
  }
  return { file, value: plainCopy(value), locate: () => file, redact };
}

async function dataOf(paths: readonly string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const path of paths) {
    const read = await readRegularFile(path, DATA_READ, { cut: true });
    if (read.ok) texts.push(read.text);
  }
  return texts;
}

/** libjsonnet writes "STATIC ERROR: /abs/f.jsonnet:8:16-22: Unknown variable: banFor". */
function engineError(
  file: JsonnetFile,
  result: { engine: string; data: readonly string[] },
  redact: Redact,
): ConfigError {
  const lines = result.engine.trim().split('\n');
  const head = lines[0]!.replace(/^(STATIC|RUNTIME) ERROR: /, '');
  const placed = /^(.+?):(\d+):(\d+)(?:-\d+)?: (.*)$/.exec(head);
  const trace = lines.slice(1).find((l) => /^\t.+:\d+:\d+/.test(l));
  const traced = trace === undefined ? null : /^\t(.+?):(\d+):(\d+)/.exec(trace);
  const where = placed ?? traced;
  const said = placed === null ? head : placed[4]!;
  const reason = redact(`cannot evaluate Jsonnet: ${shorten(said)}`);
  if (where === null) return new ConfigError(file.file, reason);
  const [, path = '', line, col] = where;
  // A text file imported as Jsonnet: the engine's words would quote it.
  if (result.data.includes(path))
    return new ConfigError(`${displayPath(path)}:${line}:${col}`, IMPORTED_TEXT);
  const at = path === file.absolute ? file.file : displayPath(path);
  return new ConfigError(`${at}:${line}:${col}`, reason);
}

const IMPORTED_TEXT =
  'cannot evaluate Jsonnet: this file, imported with `import`, is not Jsonnet (its text is not shown); read a text file with `importstr`';

/** An `error` expression may carry any text: its start is enough to recognise it. */
function shorten(reason: string): string {
  return reason.length > 200 ? `${reason.slice(0, 200)}…` : reason;
}

function displayPath(path: string): string {
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
