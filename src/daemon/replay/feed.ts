// Which lines of the input a replay's filters look at (as in the daemon, only those holding
// one of their literals; every line when the missed ones are wanted), and the time each is
// counted at: its own, else that of the nearest line before that has one, never back.
// Owns the lines waiting for the input's first time; receives blocks; sends timed lines.

import { eachCandidate, eachLine } from '../../concepts/scan.js';
import { stripCr } from '../../lib/lines.js';
import type { ReplayRuntime } from './runtime.js';
import type { LineTimes } from './times.js';

/**
 * Lines before the input's first line with a time wait for that time, up to this many;
 * beyond, they are counted at the time they are read.
 */
const MAX_WAITING = 10_000;

interface Waiting {
  readonly text: string;
  readonly source: string;
  readonly line: number;
}

export class Feed {
  readonly #runtime: ReplayRuntime;
  readonly #times: LineTimes;
  /** The literals to search blocks for; null when every line must be looked at. */
  readonly #literals: readonly string[] | null;
  readonly #waiting: Waiting[] = [];
  /** Lines a regex hit that had no time of their own. */
  untimed = 0;
  /** Lines a regex hit whose time was before that of a line counted before: counted then. */
  earlier = 0;
  /** The time of the nearest line before with one, once a line had one. */
  #lastOwn: number | undefined;
  /** In the block being read: where the last line looked at ends, -1 before the first. */
  #looked = -1;
  /** While no line had a time: where the block's first line with one starts (or -1), and its time. */
  #firstAt = -1;
  #firstTime = 0;

  constructor(
    runtime: ReplayRuntime,
    times: LineTimes,
    options: { literals: readonly string[] | null },
  ) {
    this.#runtime = runtime;
    this.#times = times;
    this.#literals = options.literals;
  }

  /** A block of lines (joined by "\n") read from `source`, its first line numbered `first`. */
  block(text: string, source: string, first: number): number {
    const lines = countLines(text);
    this.#runtime.read(lines);
    this.#looked = -1;
    this.#firstAt = this.#lastOwn === undefined ? this.#findFirst(text) : -1;
    if (this.#literals === null) {
      let n = first;
      eachLine(text, (line, _present, start) => this.#line(text, line, start, source, n++));
    } else {
      eachCandidate(text, this.#literals, (line, _present, start) =>
        this.#line(text, line, start, source, 0),
      );
    }
    if (this.#waiting.length > 0 && this.#firstAt >= 0) this.#release(this.#firstTime);
    // For the next block: the time of this one's last line with one.
    const last = this.#before(text, text.length + 1);
    if (last !== undefined) this.#release(last);
    return lines;
  }

  /** The end of the input: lines still waiting for a time get the time they are read. */
  end(): void {
    if (this.#waiting.length > 0) this.#release(Date.now());
  }

  #line(text: string, line: string, start: number, source: string, n: number): void {
    if (this.#lastOwn === undefined && (this.#firstAt < 0 || start < this.#firstAt)) {
      this.#looked = start + line.length;
      this.#wait({ text: line, source, line: n });
      return;
    }
    const own = this.#times.own(line);
    const found = own ?? this.#before(text, start);
    this.#looked = start + line.length;
    if (found !== undefined) this.#release(found);
    this.#count(line, this.#lastOwn!, source, n, own);
  }

  /** A line at its time, or at the current time when it is earlier, with the figures. */
  #count(line: string, time: number, source: string, n: number, own: number | undefined): void {
    const current = this.#times.current;
    const later = current === undefined || time >= current;
    if (!this.#runtime.line(line, later ? time : current, source, n)) return;
    this.#times.seen(time);
    if (own === undefined) this.untimed++;
    else if (!later) this.earlier++;
  }

  /** The own time of the nearest line before `start` not yet looked at that has one. */
  #before(text: string, start: number): number | undefined {
    for (let end = start - 1; end > this.#looked; ) {
      const from = text.lastIndexOf('\n', end - 1) + 1;
      const own = this.#times.own(stripCr(text.slice(from, end)));
      if (own !== undefined) return own;
      end = from - 1;
    }
    return undefined;
  }

  /** Where the first line with a time starts in `text`, or -1; its time in #firstTime. */
  #findFirst(text: string): number {
    for (let from = 0; from <= text.length; ) {
      let end = text.indexOf('\n', from);
      if (end < 0) end = text.length;
      const own = this.#times.own(stripCr(text.slice(from, end)));
      if (own !== undefined) {
        this.#firstTime = own;
        return from;
      }
      from = end + 1;
    }
    return -1;
  }

  #wait(waiting: Waiting): void {
    this.#waiting.push(waiting);
    if (this.#waiting.length >= MAX_WAITING) this.#release(Date.now());
  }

  /** A line's own time is known: the lines waiting for the input's first time get it. */
  #release(time: number): void {
    this.#lastOwn = time;
    for (const w of this.#waiting.splice(0)) this.#count(w.text, time, w.source, w.line, undefined);
  }
}

function countLines(text: string): number {
  let n = 1;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}
