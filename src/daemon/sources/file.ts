// A file stream's source: owns the followers of its paths (globs expanded at each poll),
// the poll timer and the read buffer. Receives the paths and where it stood last time;
// sends the files' complete lines in blocks, each followed by where to resume after it.

import { type BigIntStats, statSync } from 'node:fs';
import type { Position, Source, SourceSink, SourceStatus } from './source.js';
import { FileFollower, type FollowContext } from './file-follow.js';
import { expandGlob, isGlob } from '../../lib/glob.js';
import { type FilePosition, type PathEntry, parsePosition } from './file-position.js';
import type { ReaderSink } from './file-reader.js';

const DEFAULT_POLL = 250;
const CHUNK = 1024 * 1024;
/** Bytes read in one turn of the event loop, so that a large catch-up lets the rest run. */
const TURN_BUDGET = 16 * CHUNK;

export interface FileSourceOptions {
  /** The stream's name, for messages. */
  readonly name: string;
  /** Absolute paths; the last component may hold `*`, `?` and `[...]`. */
  readonly paths: readonly string[];
  /** What this source gave `sink.position()` last time, or undefined. */
  readonly position: Position | undefined;
  /** Milliseconds between two looks at the files. */
  readonly poll?: number;
}

export class FileSource implements Source {
  readonly #o: FileSourceOptions;
  readonly #sink: SourceSink;
  readonly #context: FollowContext;
  /** By path, in the order the paths and their glob matches were first seen. */
  readonly #followers = new Map<string, FileFollower>();
  #state: SourceStatus['state'] = 'starting';
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Whether the position changed since it was last handed over without a block. */
  #moved = false;

  constructor(options: FileSourceOptions, sink: SourceSink) {
    this.#o = options;
    this.#sink = sink;
    this.#context = {
      notice: (level, message) => sink.notice(level, message),
      reader: this.#readerSink(),
      buffer: Buffer.allocUnsafe(CHUNK),
      moved: () => {
        this.#moved = true;
      },
    };
  }

  get status(): SourceStatus {
    return { state: this.#state, pid: undefined, restarts: 0, lastExit: undefined };
  }

  /** Takes every path's starting point; the first reads run at the next turn. */
  start(): Promise<void> {
    if (this.#state !== 'starting') return Promise.resolve();
    const known = this.#given();
    for (const path of this.#o.paths) {
      const matches = isGlob(path) ? expandGlob(path) : [path];
      if (matches.length === 0)
        this.#sink.notice(
          'WARN',
          `file ${path} does not exist: it is read from its start once it appears`,
        );
      for (const match of matches) this.#startOne(match, known.get(match));
    }
    this.#state = 'running';
    this.#sink.position(this.#position());
    this.#moved = false;
    this.#schedule(0);
    return Promise.resolve();
  }

  /** The entries of the given position by path; none when it is absent or not valid. */
  #given(): Map<string, PathEntry> {
    const known = new Map<string, PathEntry>();
    if (this.#o.position === undefined) return known;
    const parsed = parsePosition(this.#o.position);
    if (!parsed.ok) {
      this.#sink.notice(
        'WARN',
        `stream ${this.#o.name}: the saved file position is not valid (${parsed.reason}): files are read as if there were none`,
      );
      return known;
    }
    for (const entry of parsed.position.files) known.set(entry.path, entry);
    return known;
  }

  #startOne(path: string, entry: PathEntry | undefined): void {
    if (this.#followers.has(path)) return;
    const follower = new FileFollower(path, this.#context);
    this.#followers.set(path, follower);
    if (entry === undefined) follower.startAtEnd();
    else follower.resume(entry);
  }

  async stop(): Promise<void> {
    this.kill();
  }

  /** Nothing is handed over once it returns: every read is synchronous, within one tick. */
  kill(): void {
    this.#state = 'stopped';
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
    }
    this.#timer = undefined;
    for (const follower of this.#followers.values()) follower.close();
    this.#followers.clear();
  }

  /** After a full budget, the next turn comes at once: more may be waiting. */
  #schedule(delay: number): void {
    if (this.#state !== 'running') return;
    const tick = () => this.#tick();
    this.#timer = delay === 0 ? setImmediate(tick) : setTimeout(tick, delay);
  }

  #tick(): void {
    this.#timer = undefined;
    this.#forgetGone(this.#expandGlobs());
    let left = TURN_BUDGET;
    for (const follower of this.#followers.values()) {
      left = follower.tick(left);
      if (left === 0 || this.#state !== 'running') break;
    }
    if (this.#state !== 'running') return;
    if (this.#moved) {
      this.#moved = false;
      this.#sink.position(this.#position());
    }
    this.#schedule(left === 0 ? 0 : (this.#o.poll ?? DEFAULT_POLL));
  }

  /** A file that comes to match a glob while riposte runs is new: read from its start. */
  #expandGlobs(): Set<string> {
    const matched = new Set<string>();
    for (const path of this.#o.paths) {
      if (!isGlob(path)) continue;
      for (const match of expandGlob(path)) {
        matched.add(match);
        if (this.#followers.has(match)) continue;
        const follower = new FileFollower(match, this.#context);
        if (this.#isRead(match)) follower.startAtEnd();
        else follower.startAtBeginning(false);
        this.#followers.set(match, follower);
        this.#sink.position(this.#position());
      }
    }
    return matched;
  }

  /**
   * Whether the file at `path` is one already read under another name: a file renamed by a
   * rotation into a name the glob also matches (`*.log*`) goes on from where it is, not again.
   */
  #isRead(path: string): boolean {
    let stats: BigIntStats;
    try {
      stats = statSync(path, { bigint: true });
    } catch {
      return false;
    }
    for (const follower of this.#followers.values())
      if (follower.holds(stats.dev.toString(), stats.ino.toString())) return true;
    return false;
  }

  /** A glob's file that went away and was read to its end is no longer followed. */
  #forgetGone(matched: Set<string>): void {
    const named = new Set(this.#o.paths);
    for (const [path, follower] of this.#followers)
      if (!named.has(path) && !matched.has(path) && follower.idle) {
        this.#followers.delete(path);
        this.#sink.position(this.#position());
      }
  }

  #position(): FilePosition {
    const files: PathEntry[] = [];
    for (const follower of this.#followers.values()) files.push(follower.entry());
    return { files };
  }

  /** Each block is followed by where to resume after it. */
  #readerSink(): ReaderSink {
    const sink = this.#sink;
    return {
      lines: (block, caughtUp) => {
        if (this.#state !== 'running') return;
        // Taken first: the sink may stop the source, and this block's position is still owed.
        const position = this.#position();
        sink.lines(block, { time: undefined, caughtUp });
        sink.position(position);
        this.#moved = false;
      },
      cut: (dropped) => sink.cut(dropped),
      read: (bytes) => sink.read(bytes),
    };
  }
}
