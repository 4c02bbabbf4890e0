// A journal stream's source: owns its journalctl process, where it resumes and its restarts.
// Receives the stream's selection and the position saved last time; sends the entries'
// messages as blocks of lines with their own times, the cursor after them, journalctl's
// stderr and its exits to the sink.

import type { ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { formatDuration } from '../../lib/duration.js';
import {
  cursorArgs,
  followArgs,
  type JournalSelection,
  type JournalStart,
} from './journal-args.js';
import { type Cursor, JsonLines, parseCursor, parseEntry, sameEntry } from './journal-entry.js';
import { signalGroup, stopGroup } from './guard.js';
import { query, spawnGuarded } from './journal-process.js';
import type { Position, Source, SourceSink, SourceStatus } from './source.js';

export interface JournalSourceOptions extends JournalSelection {
  /** The stream's name, for messages. */
  readonly name: string;
  /** Text is `IDENT[PID]: MESSAGE` as `journalctl -o short` shows it, else MESSAGE. */
  readonly withIdentifier: boolean;
  /** What this source gave sink.position() last time. */
  readonly position: Position | undefined;
  /** ms: how far back a resume reads at most. */
  readonly catchUp: number;
  /** The journalctl program, `journalctl` by default. */
  readonly program?: string;
}

const FIRST_BACKOFF = 1000;
const MAX_BACKOFF = 300_000;
/** journalctl that ran this long before dying starts again after the first backoff. */
const HEALTHY_RUN = 60_000;
const STOP_GRACE = 5000;

/** How one run of journalctl reads: where it starts and what it hands over as caught up. */
interface Run {
  readonly start: JournalStart;
  /** The entry the run starts at, handed over before: skipped. */
  readonly skip: Cursor | undefined;
  /** ms: while catching up, entries older than this are dropped (the catch-up bound). */
  readonly floor: number;
  /** Whether the run reads entries written while nothing read them. */
  readonly resumes: boolean;
}

export class JournalSource implements Source {
  readonly #o: JournalSourceOptions;
  readonly #sink: SourceSink;
  readonly #program: string;
  readonly #where: string;
  /** The cursor of the last entry handed over (or the saved one). */
  #cursor: string | undefined;
  /** ms: with no cursor, where a restart resumes (the first run's start, or the catch-up bound). */
  #resumeFrom: number | undefined;
  #child: ChildProcess | undefined;
  #state: SourceStatus['state'] = 'starting';
  #backoff = FIRST_BACKOFF;
  #timer: NodeJS.Timeout | undefined;
  #restarts = 0;
  #lastExit: string | undefined;
  #lastStderr = '';
  #exited: Promise<void> = Promise.resolve();

  constructor(options: JournalSourceOptions, sink: SourceSink) {
    this.#o = options;
    this.#sink = sink;
    this.#program = options.program ?? 'journalctl';
    this.#where = `journal stream ${options.name}`;
    this.#cursor = this.#savedCursor(options.position);
  }

  get status(): SourceStatus {
    return {
      state: this.#state,
      pid: this.#child?.pid,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
    };
  }

  /** Starts journalctl; rejects when it cannot be started at all (not installed). */
  async start(): Promise<void> {
    if (this.#state !== 'starting') return;
    const run = await this.#plan();
    if (this.#state !== 'starting') return;
    const reason = await this.#spawn(run);
    if (reason === '') return;
    this.#state = 'stopped';
    throw new Error(`${this.#where}: cannot start ${JSON.stringify(this.#program)}: ${reason}`);
  }

  /** Stops journalctl (its whole process group) and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    await stopGroup(this.#child, this.#exited, STOP_GRACE);
  }

  kill(): void {
    this.#state = 'stopped';
    clearTimeout(this.#timer);
    if (this.#child !== undefined) signalGroup(this.#child, 'SIGKILL');
  }

  #savedCursor(position: Position | undefined): string | undefined {
    if (position === undefined) return undefined;
    const cursor = (position as { cursor?: unknown } | null)?.cursor;
    if (typeof position === 'object' && parseCursor(cursor) !== undefined) return cursor as string;
    const shown = JSON.stringify(position)?.slice(0, 200) ?? String(position);
    this.#sink.notice('WARN', `the saved position ${shown} is not a journal cursor: it is ignored`);
    return undefined;
  }

  /** Where the next run starts: after the cursor, from a time, or at the end. */
  async #plan(): Promise<Run> {
    const now = Date.now();
    const bound = now - this.#o.catchUp;
    const cursor = this.#cursor === undefined ? undefined : parseCursor(this.#cursor);
    if (cursor === undefined) return this.#planWithoutCursor(now, bound);
    if (cursor.realtime / 1000 < bound) {
      this.#sink.notice(
        'INFO',
        `the saved cursor is older than ${formatDuration(this.#o.catchUp)}: reading from the oldest entry within it`,
      );
      return since(bound);
    }
    if (await this.#holds(this.#cursor!, cursor))
      return {
        start: { kind: 'cursor', cursor: this.#cursor! },
        skip: cursor,
        floor: bound,
        resumes: true,
      };
    this.#sink.notice(
      'WARN',
      `the journal no longer holds the entry of the saved cursor (vacuumed?): reading from the oldest entry within ${formatDuration(this.#o.catchUp)}`,
    );
    this.#cursor = undefined;
    this.#resumeFrom = bound;
    return since(bound);
  }

  #planWithoutCursor(now: number, bound: number): Run {
    if (this.#resumeFrom !== undefined) return since(Math.max(this.#resumeFrom, bound));
    this.#sink.notice('INFO', `no saved cursor: reading new entries only`);
    this.#resumeFrom = now;
    return { start: { kind: 'live' }, skip: undefined, floor: now, resumes: false };
  }

  /**
   * Whether the journal still holds the cursor's entry: journalctl seeks to the nearest entry
   * when it does not (same boot and monotonic time, else realtime) and reads on from there.
   */
  async #holds(text: string, cursor: Cursor): Promise<boolean> {
    const result = await query(this.#program, cursorArgs(this.#o, text));
    for (const line of result.stderr.split('\n')) this.#stderrLine(line);
    const end = result.stdout.indexOf('\n');
    const first = end === -1 ? result.stdout : result.stdout.slice(0, end);
    // Not run at all (not installed?): the run that follows will say why.
    if (first === '') return result.failure !== undefined && !result.failure.startsWith('exit');
    const entry = parseEntry(first, false);
    return typeof entry !== 'string' && isEntry(entry.cursor, cursor);
  }

  /** Starts a run; resolves with '' once journalctl runs, or with why it cannot. */
  #spawn(run: Run): Promise<string> {
    const args = followArgs(this.#o, { start: run.start, withIdentifier: this.#o.withIdentifier });
    const { child, ran } = spawnGuarded(this.#program, args);
    this.#child = child;
    const startedAt = Date.now();
    const reader = this.#reader(run, startedAt);
    child.stdout?.on('data', (chunk: Buffer) => reader.push(chunk));
    const stderr = this.#stderrReader();
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    void ran.then((reason) => {
      if (reason === '' && this.#state !== 'stopped') this.#state = 'running';
    });
    this.#exited = new Promise((resolve) => {
      // A program that cannot be spawned emits 'error' and may then emit 'close': one end.
      let ended = false;
      const end = (code: number | null, signal: NodeJS.Signals | null) =>
        void ran.then((reason) => {
          if (ended) return;
          ended = true;
          stderr.end();
          this.#exit(reason !== '' ? reason : status(code, signal), Date.now() - startedAt);
          resolve();
        });
      child.once('close', end);
      child.once('error', () => {
        if (child.pid === undefined) end(null, null);
      });
    });
    return ran;
  }

  #reader(run: Run, startedAt: number): EntryReader {
    return new EntryReader(run, {
      startedAt,
      withIdentifier: this.#o.withIdentifier,
      lines: (block, time, caughtUp) => this.#sink.lines(block, { time, caughtUp }),
      handed: (cursor, bytes) => this.#handed(cursor, bytes),
      warn: (message) => this.#sink.notice('WARN', message),
    });
  }

  #stderrReader(): { push(chunk: Buffer): void; end(): void } {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    return {
      push: (chunk) => {
        this.#sink.read(chunk.length);
        const lines = (partial + decoder.write(chunk)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#stderrLine(line);
      },
      end: () => {
        this.#stderrLine(partial + decoder.end());
        partial = '';
      },
    };
  }

  #handed(cursor: string | undefined, bytes: number): void {
    this.#sink.read(bytes);
    if (cursor === undefined || cursor === this.#cursor) return;
    this.#cursor = cursor;
    this.#sink.position({ cursor });
  }

  #stderrLine(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text === '') return;
    this.#lastStderr = text;
    this.#sink.stderr(text);
  }

  #exit(status: string, ranFor: number): void {
    this.#child = undefined;
    if (this.#state === 'stopped' || this.#state === 'starting') return;
    const said = this.#lastStderr === '' ? '' : `; last stderr line: ${this.#lastStderr}`;
    this.#lastExit = status;
    if (ranFor >= HEALTHY_RUN) this.#backoff = FIRST_BACKOFF;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, MAX_BACKOFF);
    this.#state = 'restarting';
    this.#sink.notice(
      'ERROR',
      `${JSON.stringify(this.#program)} died (${status})${said}; starting it again in ${formatDuration(delay)}`,
    );
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#restarts++;
    this.#lastStderr = '';
    const run = await this.#plan();
    if (this.#state !== 'restarting') return;
    await this.#spawn(run);
  }
}

function since(ms: number): Run {
  return {
    start: { kind: 'since', seconds: Math.floor(ms / 1000) },
    skip: undefined,
    floor: ms,
    resumes: true,
  };
}

function status(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by signal ${signal}` : `exit status ${code}`;
}

interface ReaderOut {
  /** ms: when journalctl was started. */
  readonly startedAt: number;
  readonly withIdentifier: boolean;
  lines(block: string, time: number, caughtUp: boolean): void;
  /** The cursor of the last entry read (handed over, or dropped), after a chunk of `bytes`. */
  handed(cursor: string | undefined, bytes: number): void;
  warn(message: string): void;
}

/**
 * One run's output: entries into blocks of lines that share a time (a multi-line message, or
 * entries of one millisecond), handed at the end of each chunk with the cursor after them.
 * While catching up, an entry is caught up until the first one written since journalctl
 * started (its time at or past the start): the journal then holds nothing older unread.
 */
class EntryReader {
  readonly #run: Run;
  readonly #out: ReaderOut;
  readonly #lines: JsonLines;
  #catchingUp: boolean;
  #skip: Cursor | undefined;
  #cursor: string | undefined;
  #block: string[] = [];
  #time = 0;

  constructor(run: Run, out: ReaderOut) {
    this.#run = run;
    this.#out = out;
    this.#catchingUp = run.resumes;
    this.#skip = run.skip;
    this.#lines = new JsonLines({
      line: (line) => this.#entry(line),
      dropped: (bytes) =>
        out.warn(`an entry of ${bytes} bytes of JSON or more was dropped (the limit is 1 MiB)`),
    });
  }

  push(chunk: Buffer): void {
    this.#lines.push(chunk);
    this.#flush();
    this.#out.handed(this.#cursor, chunk.length);
  }

  #entry(line: string): void {
    const entry = parseEntry(line, this.#out.withIdentifier);
    if (typeof entry === 'string') {
      this.#out.warn(`journalctl wrote a line that is not an entry (${entry}): dropped`);
      return;
    }
    const skip = this.#skip;
    this.#skip = undefined;
    if (skip !== undefined && isEntry(entry.cursor, skip)) return;
    this.#cursor = entry.cursor;
    if (this.#catchingUp && entry.time >= this.#out.startedAt) {
      this.#flush();
      this.#catchingUp = false;
    }
    if (this.#catchingUp && entry.time < this.#run.floor) return;
    if (entry.text === undefined) return;
    if (entry.time !== this.#time) this.#flush();
    this.#time = entry.time;
    this.#block.push(entry.text);
  }

  #flush(): void {
    if (this.#block.length === 0) return;
    this.#out.lines(this.#block.join('\n'), this.#time, this.#catchingUp);
    this.#block = [];
  }
}

function isEntry(text: string, cursor: Cursor): boolean {
  const parsed = parseCursor(text);
  return parsed !== undefined && sameEntry(parsed, cursor);
}
