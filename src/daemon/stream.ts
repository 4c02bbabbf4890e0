// A stream at run time: owns its source (a command, files, the journal; sources/), the
// figures `status` and the metrics show, and where it resumes. Receives blocks of lines from
// the source; sends them to its filters, each counted at its time, and the source's
// positions to the store, which commits them with the counts of the lines before them.
// A stream is never silent: its exits are logged, and its stderr lines no filter matches.

import type { Stream } from '../concepts/stream.js';
import { formatDuration } from '../lib/duration.js';
import { countLines, linesOf, stripCr } from '../lib/lines.js';
import { debugEnabled, log } from '../lib/log.js';
import { LogLimiter } from '../lib/rate-limit.js';
import type { FilterRuntime } from './filter.js';
import { CommandSource } from './sources/command.js';
import { FileSource } from './sources/file.js';
import { JournalSource } from './sources/journal.js';
import type { Source, SourceSink, SourceStatus } from './sources/source.js';

export type StreamState = SourceStatus['state'];

/** A catch-up is reported once no line of it came for this long. */
const CAUGHT_UP_QUIET = 1000;

export interface StreamStatus extends SourceStatus {
  /** Characters read (lines and their newlines). */
  readonly bytes: number;
  /** Bytes read from the source, before decoding. */
  readonly bytesRead: number;
  /** Lines read while they are counted (see countLines). */
  readonly lines: number;
  /** Lines cut at the length limit, and the characters dropped after each cut. */
  readonly cut: number;
  readonly dropped: number;
  /** When the last line was read (ms), if one was. */
  readonly lastLine: number | undefined;
  /** The last line written on stderr by the source's program, if any. */
  readonly lastStderr: string | undefined;
  /** Lines written while riposte was not reading, read on resume. */
  readonly caughtUp: number;
}

/** Where the file and journal streams keep their positions. */
export interface Positions {
  get(stream: string): unknown;
  set(stream: string, position: unknown): void;
}

export interface StreamDeps {
  readonly filters: readonly FilterRuntime[];
  readonly onFinished: () => void;
  readonly positions: Positions;
}

export class StreamRuntime implements SourceSink {
  #stream: Stream;
  #filters: readonly FilterRuntime[];
  readonly #deps: StreamDeps;
  #source: Source | undefined;
  #state: StreamState = 'starting';
  #bytes = 0;
  #bytesRead = 0;
  #lines = 0;
  #cut = 0;
  #dropped = 0;
  #lastLine: number | undefined;
  #lastStderr: string | undefined;
  #caughtUp = 0;
  /** Lines caught up since the last report of them, and the timer that reports them. */
  #unreported = 0;
  #report: NodeJS.Timeout | undefined;
  /** What a stream writes, an attacker may write: one warning per line would be theirs to repeat. */
  readonly #cutLog: LogLimiter;
  readonly #stderrLog: LogLimiter;

  constructor(stream: Stream, deps: StreamDeps) {
    this.#stream = stream;
    this.#filters = deps.filters;
    this.#deps = deps;
    this.#cutLog = new LogLimiter(`stream ${stream.name}: lines cut`);
    this.#stderrLog = new LogLimiter(`stream ${stream.name}: stderr lines no filter matches`);
    // The journal and the files are few lines next to what they cost to read: always counted.
    this.countLines = stream.source !== undefined;
  }

  /**
   * Whether lines are counted (`status.lines`): a search of every block for its newlines,
   * about 30 ns a line, paid by command streams only when the metrics are served.
   */
  countLines = false;

  get stream(): Stream {
    return this.#stream;
  }

  /**
   * A reload that keeps what the stream reads: its new definition and filters take over from
   * the next block of lines; the source reads on and no line is lost.
   */
  reconfigure(stream: Stream, filters: readonly FilterRuntime[]): void {
    this.#stream = stream;
    this.#filters = filters;
  }

  get status(): StreamStatus {
    const source = this.#source?.status ?? {
      state: this.#state,
      pid: undefined,
      restarts: 0,
      lastExit: undefined,
    };
    return {
      ...source,
      bytes: this.#bytes,
      bytesRead: this.#bytesRead,
      lines: this.#lines,
      cut: this.#cut,
      dropped: this.#dropped,
      lastLine: this.#lastLine,
      lastStderr: this.#lastStderr,
      caughtUp: this.#caughtUp,
    };
  }

  /**
   * Starts the source, where the stream stopped last; rejects when it cannot be started at
   * all (start-up stops then).
   */
  start(): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve();
    this.#state = 'running';
    this.#source ??= sourceOf(this.#stream, this, this.#deps);
    return this.#source?.start() ?? Promise.resolve();
  }

  /** A line sent by a virtual action, or by another host: counted at `time` (now by default). */
  feed(line: string, time = Date.now()): void {
    this.#count(line);
    for (const filter of this.#filters) filter.block(line, time);
  }

  /** Stops the source and waits until it hands over nothing more. */
  stop(): Promise<void> {
    this.#state = 'stopped';
    return this.#source?.stop() ?? Promise.resolve();
  }

  /** Stops the source at once (second signal: the daemon exits now). */
  kill(): void {
    this.#state = 'stopped';
    this.#source?.kill();
  }

  // SourceSink: what the source hands over.

  lines(block: string, o: { time: number | undefined; caughtUp: boolean }): void {
    const lines = this.#count(block);
    if (o.caughtUp) this.#caughtUpLines(lines > 0 ? lines : countLines(block));
    if (this.#stream.source === undefined) {
      for (const filter of this.#filters) filter.block(block, o.time!);
      return;
    }
    // Lines at their own time: none older than the bound, nor than a filter's retryperiod.
    const now = Date.now();
    const at = { time: o.time, now, oldest: now - this.#stream.catchUp };
    for (const filter of this.#filters) filter.blockAt(block, at);
  }

  position(position: unknown): void {
    this.#deps.positions.set(this.#stream.name, position);
  }

  stderr(block: string): void {
    this.#lastStderr = stripCr(block.slice(block.lastIndexOf('\n') + 1));
    this.#count(block);
    const now = Date.now();
    for (const filter of this.#filters) filter.block(block, now);
    for (const line of linesOf(block)) {
      if (this.#filters.some((f) => f.filter.match(line) !== undefined)) continue;
      this.#stderrLog.log('WARN', `stream ${this.#stream.name}: stderr: ${line}`);
    }
  }

  notice(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    log(level, `stream ${this.#stream.name}: ${message}`);
  }

  cut(dropped: number): void {
    this.#cut++;
    this.#dropped += dropped;
    this.#cutLog.log(
      'WARN',
      `stream ${this.#stream.name}: a line longer than 64 KiB was cut; ${dropped} characters dropped`,
    );
  }

  read(bytes: number): void {
    this.#bytesRead += bytes;
  }

  /** Lines read on resume: said in one log line once they stop coming for a second. */
  #caughtUpLines(lines: number): void {
    this.#caughtUp += lines;
    this.#unreported += lines;
    clearTimeout(this.#report);
    this.#report = setTimeout(() => {
      const late = this.#filters.reduce((n, f) => n + f.stats.late, 0);
      log(
        'INFO',
        `stream ${this.#stream.name}: caught up ${this.#unreported} line(s) written while riposte was not reading (at most ${formatDuration(this.#stream.catchUp)} back); ${late} match(es) too old to count so far`,
      );
      this.#unreported = 0;
    }, CAUGHT_UP_QUIET);
    this.#report.unref();
  }

  /** The figures of a block; its number of lines when they are counted, else 0. */
  #count(block: string): number {
    this.#bytes += block.length + 1;
    this.#lastLine = Date.now();
    let lines = 0;
    if (this.countLines) {
      lines = countLines(block);
      this.#lines += lines;
    }
    if (debugEnabled())
      for (const line of linesOf(block)) log('DEBUG', `stream ${this.#stream.name}: ${line}`);
    return lines;
  }
}

function sourceOf(stream: Stream, sink: SourceSink, deps: StreamDeps): Source | undefined {
  const position = deps.positions.get(stream.name);
  const source = stream.source;
  if (source?.type === 'file')
    return new FileSource({ name: stream.name, paths: source.paths, position }, sink);
  if (source?.type === 'journal')
    return new JournalSource(
      {
        name: stream.name,
        units: source.units,
        identifiers: source.identifiers,
        matches: source.matches,
        directory: source.directory,
        files: source.files,
        withIdentifier: source.withIdentifier,
        position,
        catchUp: stream.catchUp,
      },
      sink,
    );
  if (stream.type === 'cmd')
    return new CommandSource(
      { name: stream.name, cmd: stream.cmd, onFinished: deps.onFinished },
      sink,
    );
  return undefined;
}
