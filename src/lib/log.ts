// The daemon's log: one event per line on stderr, filtered by level. Receives events from
// every part of riposte; sends lines to stderr, with a local timestamp unless journald
// (which stamps lines itself) is reading them. Lines of one event-loop turn are written
// together (a burst of matches logs thousands), and whatever is left at exit is flushed.

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
  write(`${prefix}${level.padEnd(5)} ${message}\n`);
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
