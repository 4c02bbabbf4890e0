// What a stream reads its lines from: a command, files followed as `tail -F` does, or the
// systemd journal. One small interface with one file per kind; the stream runtime above
// them (daemon/stream.ts) hands the lines to the filters and keeps the figures. Owns no
// state; receives nothing; describes what a source sends.

/**
 * Where a source resumes after a restart, as it wrote it (plain JSON data). The stream keeps
 * the last one in the state, committed with the counts of the lines read before it.
 */
export type Position = unknown;

/** How a source hands over what it reads; every call comes from the event loop, never re-entered. */
export interface SourceSink {
  /**
   * A block of complete lines joined by "\n" (no trailing newline; a line may end with "\r").
   * `time` is the time every line of the block is counted at, or, for lines that carry their
   * own (a file's), undefined: the stream reads it from each line a filter matched.
   * `caughtUp` is true for lines written while riposte was not reading (read on resume).
   */
  lines(block: string, o: { time: number | undefined; caughtUp: boolean }): void;
  /** Where to resume once the lines handed over so far are counted; `undefined` forgets it. */
  position(position: Position): void;
  /**
   * Lines the source's program wrote on stderr (a command's, journalctl's), joined by "\n":
   * the filters read them too, at the time they are read; those no filter matches are logged.
   */
  stderr(block: string): void;
  /** Something the admin must know (a missing file, a vanished cursor, a rotation), logged by the stream. */
  notice(level: 'INFO' | 'WARN' | 'ERROR', message: string): void;
  /** Lines cut at the length limit: `dropped` characters thrown away after the cut. */
  cut(dropped: number): void;
  /** Bytes read, before decoding. */
  read(bytes: number): void;
}

export interface SourceStatus {
  readonly state: 'starting' | 'running' | 'restarting' | 'finished' | 'stopped';
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastExit: string | undefined;
}

export interface Source {
  /** Starts reading; rejects when the source cannot start at all (start-up stops then). */
  start(): Promise<void>;
  /** Stops reading and waits until nothing more is handed over. */
  stop(): Promise<void>;
  /** Stops at once (the daemon exits now). */
  kill(): void;
  readonly status: SourceStatus;
}
