// The built-in "virtual" action type: sends a line to a virtual stream, whose filters count
// it like a line read. Owns the count of lines sent; receives the actions' lines; sends
// them to the virtual streams' runtimes, one event-loop turn later.

import { log, quote } from '../lib/log.js';
import type { StreamRuntime } from './stream.js';

export class VirtualSends {
  readonly #streams: ReadonlyMap<string, StreamRuntime>;
  readonly stats = { started: 0, failed: 0 };

  constructor(streams: ReadonlyMap<string, StreamRuntime>) {
    this.#streams = streams;
  }

  /** `done` is told whether the line was sent. */
  send(label: string, to: string, line: string, done: (ok: boolean) => void): void {
    this.stats.started++;
    // A stream is fed blocks of lines: a line break would make one send several lines.
    if (line.includes('\n')) {
      log('ERROR', `${label}: cannot send ${quote(line)} to ${to}: a value holds a line break`);
      this.stats.failed++;
      setImmediate(() => done(false));
      return;
    }
    log('INFO', `${label}: send ${JSON.stringify(line)} to ${to}`);
    // Not now: the line is counted as if read, and reading never happens inside a trigger.
    setImmediate(() => {
      this.#streams.get(to)?.feed(line);
      done(true);
    });
  }
}
