// Cuts a byte stream into lines, a batch per chunk, with bounded memory. Receives chunks
// of bytes; sends the complete lines of each chunk (UTF-8 decoded, invalid bytes replaced by
// U+FFFD, none longer than the limit), either as an array (a trailing "\r" removed) or as
// one block of text for consumers that search it whole, and reports the characters it
// dropped from lines over the limit.

import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_MAX_LINE = 65_536;

export interface LineSink {
  lines(batch: string[]): void;
  /**
   * When present, receives each batch instead of `lines`: the lines joined by "\n" (a line
   * may still end with "\r": see linesOf). Nothing is done per line to build it.
   */
  block?(text: string): void;
  /** A line was cut at the limit; `dropped` characters after the cut were thrown away. */
  overflow(dropped: number): void;
}

export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #sink: LineSink;
  readonly #max: number;
  #pending = '';
  /** Characters dropped so far from the current over-long line, or -1 when not dropping. */
  #dropping = -1;
  /** Whether the last character dropped is "\r": before "\n" it ends the line, it is not dropped. */
  #droppedCr = false;

  constructor(sink: LineSink, maxLine = DEFAULT_MAX_LINE) {
    this.#sink = sink;
    this.#max = maxLine;
  }

  push(chunk: Buffer): void {
    this.#take(this.#decoder.write(chunk));
  }

  /** Flushes the last line when the stream ends without a newline. */
  end(): void {
    this.#take(this.#decoder.end());
    if (this.#dropping >= 0) {
      if (this.#droppedCr) this.#dropping--;
      this.#endDrop();
    } else if (this.#pending !== '') this.#emit(this.#pending);
    this.#pending = '';
  }

  #take(text: string): void {
    if (this.#dropping >= 0) {
      const newline = text.indexOf('\n');
      if (newline < 0) {
        this.#dropping += text.length;
        if (text !== '') this.#droppedCr = text.charCodeAt(text.length - 1) === 13;
        return;
      }
      const cr = newline > 0 ? text.charCodeAt(newline - 1) === 13 : this.#droppedCr;
      this.#dropping += cr ? newline - 1 : newline;
      this.#endDrop();
      text = text.slice(newline + 1);
    }
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.#pending += text;
    } else {
      const block = this.#pending + text.slice(0, last);
      this.#pending = text.slice(last + 1);
      this.#emit(block);
    }
    if (this.#pending.length > this.#max) {
      this.#emit(this.#pending.slice(0, this.#max));
      this.#dropping = this.#pending.length - this.#max;
      this.#droppedCr = this.#pending.charCodeAt(this.#pending.length - 1) === 13;
      this.#pending = '';
    }
  }

  #emit(block: string): void {
    if (this.#sink.block === undefined) {
      this.#sink.lines(this.#cut(block.split('\n'), block.length));
      return;
    }
    const long = block.length > this.#max && this.#hasLongLine(block);
    this.#sink.block(long ? this.#cut(block.split('\n'), block.length).join('\n') : block);
  }

  /** Jumps from line to line by at most the limit: a few searches per block, not one per line. */
  #hasLongLine(block: string): boolean {
    let start = 0;
    while (block.length - start > this.#max) {
      const newline = block.lastIndexOf('\n', start + this.#max);
      if (newline < start) return true;
      start = newline + 1;
    }
    return false;
  }

  #cut(lines: string[], total: number): string[] {
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
      if (total > this.#max && line.length > this.#max) {
        this.#sink.overflow(line.length - this.#max);
        line = line.slice(0, this.#max);
      }
      lines[i] = line;
    }
    return lines;
  }

  #endDrop(): void {
    // 0 when all that followed the cut was the "\r" of "\r\n": the line was not too long.
    if (this.#dropping > 0) this.#sink.overflow(this.#dropping);
    this.#dropping = -1;
    this.#droppedCr = false;
  }
}

/** How many lines a block holds (see LineSplitter): one more than its newlines. */
export function countLines(block: string): number {
  let n = 1;
  for (let i = block.indexOf('\n'); i >= 0; i = block.indexOf('\n', i + 1)) n++;
  return n;
}

/** The lines of a block, each without its trailing "\r". */
export function linesOf(block: string): string[] {
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = stripCr(lines[i]!);
  return lines;
}

export function stripCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
