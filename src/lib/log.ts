// The daemon's log: one event per line on stderr, filtered by level. Receives events from
// every part of riposte; sends lines to stderr, with a local timestamp unless journald
// (which stamps lines itself) is reading them. Lines of one event-loop turn are written
// together (a burst of matches logs thousands), and whatever is left at exit is flushed.
// A log line may be read back by a filter (riposte's own journal): no text an event
// carries can end its line or pass for another one.

export type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export const LEVELS: readonly Level[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

const RANK: Readonly<Record<Level, number>> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

let threshold = RANK.INFO;
let stamped = process.env['JOURNAL_STREAM'] === undefined;
let pending: string[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  process.stderr.write(text);
}

process.on('exit', flush);

let write = (line: string): void => {
  pending.push(line);
  if (pending.length >= 1024) flush();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
};

/** Sets the lowest level written, and where lines go (tests capture them). */
export function configureLog(options: {
  level?: Level;
  stamped?: boolean;
  sink?: (line: string) => void;
}): void {
  if (options.level !== undefined) threshold = RANK[options.level];
  if (options.stamped !== undefined) stamped = options.stamped;
  if (options.sink !== undefined) write = options.sink;
}

/** Whether DEBUG events are written: callers skip building them on hot paths otherwise. */
export function debugEnabled(): boolean {
  return threshold === RANK.DEBUG;
}

/** The last stamp written, reused within its millisecond: a burst of matches logs many. */
let stampedAt = Number.NaN;
let stamp = '';

/** Characters that could end a line or disguise one on a terminal (tab is harmless). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
/** Printable ASCII but space, `"` and `\`: a text that cannot be mistaken for several. */
const PLAIN = /^[!#-[\]-~]+$/;

/**
 * A value, or any text that came from outside, as a log line writes it: unchanged when
 * plain, else JSON-quoted (`"bob 1.2.3.4"`, `"a\nb"`), so that a value cannot pass for
 * two, or for the rest of the line.
 */
export function quote(text: string): string {
  return PLAIN.test(text) ? text : escapeControls(JSON.stringify(text));
}

/** Every control character as a `\uXXXX` escape: one event stays one line. */
function escapeControls(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function log(level: Level, message: string): void {
  if (RANK[level] < threshold) return;
  let prefix = '';
  if (stamped) {
    const now = Date.now();
    if (now !== stampedAt) {
      stampedAt = now;
      stamp = `${localIsoTime(now)} `;
    }
    prefix = stamp;
  }
  write(`${prefix}${level.padEnd(5)} ${escapeControls(message)}\n`);
}

/** ISO 8601 with the local offset, as every time riposte prints: 2026-11-21T19:12:00.123+01:00. */
export function localIsoTime(ms: number): string {
  const date = new Date(ms);
  const offset = -date.getTimezoneOffset();
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}
