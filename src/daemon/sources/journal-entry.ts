// One line of `journalctl -o json` read into what a journal stream hands over: the entry's
// cursor, its time in ms and its text. Receives a line of JSON; sends an entry, or why the
// line is not one. Also owns the cursor grammar, for saved positions.

/** An entry as the source hands it over. `text` is undefined when the entry has no MESSAGE. */
export interface JournalEntry {
  readonly cursor: string;
  /** `__REALTIME_TIMESTAMP`, in ms. */
  readonly time: number;
  readonly text: string | undefined;
}

export interface Cursor {
  /** The seqnum id, the sequence number (hex) and the realtime in µs, of the entry it names. */
  readonly seqnumId: string;
  readonly seqnum: string;
  readonly realtime: number;
}

const CURSOR =
  /^s=([0-9a-f]{32});i=([0-9a-f]{1,16});b=[0-9a-f]{32};m=[0-9a-f]{1,16};t=([0-9a-f]{1,16});x=[0-9a-f]{1,16}$/;
const DIGITS = /^\d{1,17}$/;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The parts of a cursor, or undefined for anything that is not one (strictly). */
export function parseCursor(text: unknown): Cursor | undefined {
  if (typeof text !== 'string') return undefined;
  const m = CURSOR.exec(text);
  if (m === null) return undefined;
  return { seqnumId: m[1]!, seqnum: m[2]!, realtime: Number.parseInt(m[3]!, 16) };
}

/** Whether two cursors name the same entry of the same sequence (`x=` and `m=` may differ). */
export function sameEntry(a: Cursor, b: Cursor): boolean {
  return a.seqnumId === b.seqnumId && a.seqnum === b.seqnum;
}

/**
 * An entry from one JSON line, or a string saying why it is not one. With `withIdentifier`,
 * every line of the message reads `IDENT[PID]: line`, as `journalctl -o short` shows the first:
 * a continuation line then cannot pass for a line another program wrote.
 */
export function parseEntry(line: string, withIdentifier: boolean): JournalEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const fields = value as Record<string, unknown>;
  const cursor = fields['__CURSOR'];
  if (typeof cursor !== 'string') return 'no __CURSOR';
  const realtime = fields['__REALTIME_TIMESTAMP'];
  if (typeof realtime !== 'string' || !DIGITS.test(realtime)) return 'no __REALTIME_TIMESTAMP';
  const time = Math.floor(Number(realtime) / 1000);
  const message = fieldText(fields['MESSAGE']);
  if (message === undefined || !withIdentifier) return { cursor, time, text: message };
  return { cursor, time, text: prefixed(message, prefixOf(fields)) };
}

/**
 * A field's value as text: a string, an array of bytes (not UTF-8, or binary: decoded with
 * replacement), or, for a field the entry holds more than once, its first value.
 */
export function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (typeof value[0] === 'number') return bytesText(value as unknown[]);
  return fieldText(value[0]);
}

function bytesText(values: readonly unknown[]): string | undefined {
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const byte = values[i];
    if (typeof byte !== 'number') return undefined;
    bytes[i] = byte;
  }
  return utf8.decode(bytes);
}

/** `IDENT[PID]: ` as -o short writes it: the identifier, else the command name; no pid if none. */
function prefixOf(fields: Record<string, unknown>): string {
  const ident = fieldText(fields['SYSLOG_IDENTIFIER']) ?? fieldText(fields['_COMM']);
  if (ident === undefined) return '';
  const pid = fieldText(fields['_PID']) ?? fieldText(fields['SYSLOG_PID']);
  return pid === undefined ? `${ident}: ` : `${ident}[${pid}]: `;
}

function prefixed(message: string, prefix: string): string {
  if (prefix === '') return message;
  if (!message.includes('\n')) return prefix + message;
  return prefix + message.split('\n').join(`\n${prefix}`);
}

/** A line of JSON past this many bytes is dropped: no entry riposte needs is that long. */
export const MAX_LINE = 1024 * 1024;

/**
 * Cuts journalctl's output into lines, bounded: a line past MAX_LINE bytes is dropped whole
 * and reported once, with its size so far. Receives chunks; sends complete lines.
 */
export class JsonLines {
  readonly #line: (line: string) => void;
  readonly #dropped: (bytes: number) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #dropping = false;

  constructor(o: { line: (line: string) => void; dropped: (bytes: number) => void }) {
    this.#line = o.line;
    this.#dropped = o.dropped;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#end(chunk.subarray(start, nl));
      start = nl + 1;
    }
    if (start < chunk.length) this.#keep(chunk.subarray(start));
  }

  #end(tail: Buffer): void {
    if (this.#dropping) {
      this.#dropping = false;
      this.#dropped(this.#pendingBytes + tail.length);
    } else if (this.#pendingBytes + tail.length > MAX_LINE) {
      this.#dropped(this.#pendingBytes + tail.length);
    } else if (this.#pending.length === 0) {
      this.#line(tail.toString('utf8'));
    } else {
      this.#pending.push(tail);
      this.#line(Buffer.concat(this.#pending).toString('utf8'));
    }
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  #keep(part: Buffer): void {
    this.#pendingBytes += part.length;
    if (this.#dropping) return;
    if (this.#pendingBytes > MAX_LINE) {
      this.#dropping = true;
      this.#pending = [];
      return;
    }
    this.#pending.push(part);
  }
}
