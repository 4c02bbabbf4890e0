// The time a log line carries, in one of a few named formats (syslog, ISO 8601, Apache's
// common log format, epoch seconds, journald JSON, daemontools' TAI64N). Receives a line, a
// format name and the "now" that years left out are inferred from; sends milliseconds since
// the epoch, or undefined when the line holds no valid time. Read by hand, char by char: no
// regex, no allocation per line, never throws.

export const TIME_FORMATS = [
  'syslog',
  'iso8601',
  'clf',
  'epoch',
  'journal',
  'tai64n',
  'auto',
] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

const DAY = 86_400_000;

/**
 * The time of `line` in `format`. A syslog date has no year: it is taken in the latest year
 * that does not put it more than a day after `reference` (ms), as fail2ban does: a Dec 31
 * line read on Jan 1 is last year's. A time without an offset is local time.
 */
export function lineTime(line: string, format: TimeFormat, reference: number): number | undefined {
  let ms: number;
  switch (format) {
    case 'syslog':
      ms = syslogAt(line, prefixEnd(line, false), reference);
      break;
    case 'iso8601':
      ms = isoAt(line, prefixEnd(line, true));
      break;
    case 'clf':
      ms = clfIn(line);
      break;
    case 'epoch':
      ms = epochAt(line, prefixEnd(line, false));
      break;
    case 'journal':
      ms = journalIn(line);
      break;
    case 'tai64n':
      ms = tai64nAt(line, prefixEnd(line, false));
      break;
    case 'auto':
      ms = auto(line, reference);
      break;
  }
  return Number.isNaN(ms) ? undefined : ms;
}

/** The formats tried in turn: each gives up at its first character when the line is not its. */
function auto(line: string, reference: number): number {
  const start = prefixEnd(line, false);
  const c = line.charCodeAt(start);
  if (c === OPEN_BRACE) return journalIn(line);
  if (c === AT) return tai64nAt(line, start);
  if (isDigit(c)) {
    const iso = isoAt(line, prefixEnd(line, true));
    if (!Number.isNaN(iso)) return iso;
    const epoch = epochAt(line, start);
    if (!Number.isNaN(epoch)) return epoch;
  } else {
    const syslog = syslogAt(line, start, reference);
    if (!Number.isNaN(syslog)) return syslog;
  }
  return clfIn(line);
}

const SPACE = 32;
const OPEN_BRACE = 123;
const LT = 60;
const GT = 62;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COLON = 58;
const AT = 64;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Where a line's time may start: after leading spaces, a syslog priority `<34>`, the
 * version `1 ` that follows it in RFC 5424 (for ISO 8601 times), and an opening `[`.
 */
function prefixEnd(line: string, rfc5424: boolean): number {
  let i = 0;
  while (line.charCodeAt(i) === SPACE) i++;
  if (line.charCodeAt(i) === LT) {
    let j = i + 1;
    while (j < i + 4 && isDigit(line.charCodeAt(j))) j++;
    if (j > i + 1 && line.charCodeAt(j) === GT) {
      i = j + 1;
      if (rfc5424 && isDigit(line.charCodeAt(i)) && line.charCodeAt(i + 1) === SPACE) i += 2;
    }
  }
  if (line.charCodeAt(i) === OPEN_BRACKET) i++;
  return i;
}

/** The fields being read. One shared record: reading never re-enters and allocates nothing. */
const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, offset: 0 };

/** The value of exactly `n` digits at `at`, or -1. */
function digits(line: string, at: number, n: number): number {
  let value = 0;
  for (let k = 0; k < n; k++) {
    const d = line.charCodeAt(at + k) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** `HH:MM:SS` then an optional fraction, into f; returns the position after, or -1. */
function clockAt(line: string, at: number): number {
  f.hour = digits(line, at, 2);
  f.minute = digits(line, at + 3, 2);
  f.second = digits(line, at + 6, 2);
  if (line.charCodeAt(at + 2) !== COLON || line.charCodeAt(at + 5) !== COLON) return -1;
  if (f.hour < 0 || f.hour > 23 || f.minute < 0 || f.minute > 59) return -1;
  if (f.second < 0 || f.second > 60) return -1;
  return fractionAt(line, at + 8);
}

/** `.123456` or `,123` (milliseconds kept) into f.ms; returns the position after it. */
function fractionAt(line: string, at: number): number {
  f.ms = 0;
  const c = line.charCodeAt(at);
  if ((c !== 46 && c !== 44) || !isDigit(line.charCodeAt(at + 1))) return at;
  let i = at + 1;
  let scale = 100;
  for (; isDigit(line.charCodeAt(i)); i++) {
    f.ms += (line.charCodeAt(i) - 48) * scale;
    scale /= 10;
  }
  f.ms = Math.floor(f.ms);
  return i;
}

/** `Z`, `+01:00`, `-0700` or `+01` into f.offset (minutes east of UTC); NaN when absent. */
function offsetAt(line: string, at: number): number {
  let i = at;
  if (line.charCodeAt(i) === SPACE && line.charCodeAt(i + 1) !== SPACE) i++;
  const c = line.charCodeAt(i);
  if (c === 90 || c === 122) return i === at ? 0 : Number.NaN;
  if (c !== 43 && c !== 45) return Number.NaN;
  const hours = digits(line, i + 1, 2);
  if (hours < 0 || hours > 14) return Number.NaN;
  let minutes = 0;
  const m = line.charCodeAt(i + 3) === COLON ? i + 4 : i + 3;
  if (isDigit(line.charCodeAt(m))) {
    minutes = digits(line, m, 2);
    if (minutes < 0 || minutes > 59) return Number.NaN;
  }
  return (c === 45 ? -1 : 1) * (hours * 60 + minutes);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The time of f, at f.offset minutes east of UTC, or in local time when it is NaN. */
function timeOfFields(): number {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month))
    return Number.NaN;
  const rest = f.minute * 60_000 + f.second * 1000 + f.ms;
  if (Number.isNaN(f.offset)) return localHour(f.year, f.month, f.day, f.hour) + rest;
  return Date.UTC(f.year, f.month - 1, f.day, f.hour) + rest - f.offset * 60_000;
}

/**
 * The start of a local hour, remembered for the next line (logs are in order): offsets
 * change on the hour, so the minutes and seconds can be added to it.
 */
let hourKey = -1;
let hourStart = 0;
function localHour(year: number, month: number, day: number, hour: number): number {
  const key = ((year * 13 + month) * 32 + day) * 24 + hour;
  if (key !== hourKey) {
    hourKey = key;
    hourStart = new Date(year, month - 1, day, hour).getTime();
  }
  return hourStart;
}

/** `2024-03-05T10:11:12.345+01:00`, `2024-03-05 10:11:12`, `2024/03/05 10:11:12`. */
function isoAt(line: string, at: number): number {
  f.year = digits(line, at, 4);
  const sep = line.charCodeAt(at + 4);
  if (f.year < 0 || (sep !== 45 && sep !== 47) || line.charCodeAt(at + 7) !== sep)
    return Number.NaN;
  f.month = digits(line, at + 5, 2);
  f.day = digits(line, at + 8, 2);
  const t = line.charCodeAt(at + 10);
  if (t !== 84 && t !== 116 && t !== SPACE) return Number.NaN;
  const end = clockAt(line, at + 11);
  if (end < 0) return Number.NaN;
  f.offset = offsetAt(line, end);
  return timeOfFields();
}

/** `[10/Oct/2000:13:55:36 -0700]`, wherever its bracket is in the line. */
function clfIn(line: string): number {
  for (let at = line.indexOf('['); at >= 0; at = line.indexOf('[', at + 1)) {
    const ms = clfAt(line, at + 1);
    if (!Number.isNaN(ms)) return ms;
  }
  return Number.NaN;
}

function clfAt(line: string, at: number): number {
  f.day = digits(line, at, 2);
  f.month = monthAt(line, at + 3);
  f.year = digits(line, at + 7, 4);
  if (f.day < 0 || f.year < 0 || line.charCodeAt(at + 2) !== 47 || line.charCodeAt(at + 6) !== 47)
    return Number.NaN;
  if (line.charCodeAt(at + 11) !== COLON) return Number.NaN;
  const end = clockAt(line, at + 12);
  if (end < 0) return Number.NaN;
  f.offset = offsetAt(line, end);
  return timeOfFields();
}

/**
 * `1700000000` or `1700000000.123456`, then no other digit: 10 digits of seconds, the times
 * since 2001, so that a line opening with a smaller number is not taken for 1975.
 */
function epochAt(line: string, at: number): number {
  let i = at;
  let seconds = 0;
  for (; isDigit(line.charCodeAt(i)); i++) seconds = seconds * 10 + line.charCodeAt(i) - 48;
  if (i - at !== 10) return Number.NaN;
  const end = fractionAt(line, i);
  if (isDigit(line.charCodeAt(end)) || line.charCodeAt(end) === 46) return Number.NaN;
  return seconds * 1000 + f.ms;
}

/**
 * A TAI64N label (`@4000000065b0c8d42b5f8e1c`, daemontools' multilog, s6-log, svlogd -t): 16
 * hex digits of 2^62 + 10 + Unix seconds (TAI counts 10 seconds more than UTC, as libtai
 * and tai64nlocal do; leap seconds since are left out), then 8 of nanoseconds.
 */
function tai64nAt(line: string, at: number): number {
  if (line.charCodeAt(at) !== AT || line.charCodeAt(at + 1) !== 52) return Number.NaN;
  const seconds = hexAt(line, at + 2, 15);
  const nanoseconds = hexAt(line, at + 17, 8);
  if (seconds < 10 || nanoseconds < 0 || nanoseconds > 999_999_999) return Number.NaN;
  if (hexAt(line, at + 25, 1) >= 0) return Number.NaN;
  return (seconds - 10) * 1000 + Math.floor(nanoseconds / 1_000_000);
}

/** The value of exactly `n` hex digits at `at`, or -1. */
function hexAt(line: string, at: number, n: number): number {
  let value = 0;
  for (let k = 0; k < n; k++) {
    const c = line.charCodeAt(at + k);
    const lower = c | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : lower >= 97 && lower <= 102 ? lower - 87 : -1;
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

const REALTIME = '"__REALTIME_TIMESTAMP"';

/** A JSON object from `journalctl -o json`: its `__REALTIME_TIMESTAMP`, in microseconds. */
function journalIn(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === SPACE) i++;
  if (line.charCodeAt(i) !== OPEN_BRACE) return Number.NaN;
  const key = line.indexOf(REALTIME, i);
  if (key < 0) return Number.NaN;
  i = key + REALTIME.length;
  while (line.charCodeAt(i) === SPACE) i++;
  if (line.charCodeAt(i++) !== COLON) return Number.NaN;
  while (line.charCodeAt(i) === SPACE) i++;
  const quoted = line.charCodeAt(i) === 34;
  if (quoted) i++;
  const start = i;
  let micros = 0;
  for (; isDigit(line.charCodeAt(i)); i++) micros = micros * 10 + line.charCodeAt(i) - 48;
  if (i === start || i - start > 17 || (quoted && line.charCodeAt(i) !== 34)) return Number.NaN;
  return Math.floor(micros / 1000);
}

/** Three-letter English names, lower-cased, as one number each: no string is made per line. */
function code3(line: string, at: number): number {
  return (
    ((line.charCodeAt(at) | 32) << 16) |
    ((line.charCodeAt(at + 1) | 32) << 8) |
    (line.charCodeAt(at + 2) | 32)
  );
}

function codes(names: string): Map<number, number> {
  return new Map(names.split(' ').map((name, i) => [code3(name, 0), i + 1]));
}

const MONTHS = codes('jan feb mar apr may jun jul aug sep oct nov dec');
const WEEKDAYS = codes('mon tue wed thu fri sat sun');

function monthAt(line: string, at: number): number {
  return MONTHS.get(code3(line, at)) ?? -1;
}

/**
 * `Dec 10 06:55:46`, `Dec  1 06:55:46`, with an optional weekday before (`Wed Oct 11`),
 * fraction and year after (`14:32:52.123456 2000`, Apache's error log).
 */
function syslogAt(line: string, at: number, reference: number): number {
  let i = at;
  if (WEEKDAYS.has(code3(line, i)) && line.charCodeAt(i + 3) === SPACE) i += 4;
  f.month = monthAt(line, i);
  if (f.month < 0 || line.charCodeAt(i + 3) !== SPACE) return Number.NaN;
  i += 4;
  if (line.charCodeAt(i) === SPACE) i++;
  f.day = digits(line, i, 1);
  i++;
  if (isDigit(line.charCodeAt(i))) f.day = f.day * 10 + line.charCodeAt(i++) - 48;
  if (f.day < 0 || line.charCodeAt(i) !== SPACE) return Number.NaN;
  const end = clockAt(line, i + 1);
  if (end < 0) return Number.NaN;
  f.offset = Number.NaN;
  f.year = yearAt(line, end);
  return f.year > 0 ? timeOfFields() : inYearOf(reference);
}

/** A year written after the time (` 2000`, then a space, `]` or the end), or -1. */
function yearAt(line: string, at: number): number {
  if (line.charCodeAt(at) !== SPACE) return -1;
  const year = digits(line, at + 1, 4);
  const next = line.charCodeAt(at + 5);
  const ends = Number.isNaN(next) || next === SPACE || next === CLOSE_BRACKET;
  return year >= 1970 && ends ? year : -1;
}

let referenceOf = Number.NaN;
/** The year of the day after the reference: where the search for a date's year starts. */
let firstYear = 0;
/** The year found for the last hour (month, day, hour) read, while the reference is the same. */
let inferredKey = -1;
let inferredYear = 0;

/**
 * f without its year: the latest year that does not put it more than a day after the
 * reference. Starting from the day after the reference's year lets a Jan 1 line read just
 * before midnight on Dec 31 (a clock a little ahead) be next year's.
 */
function inYearOf(reference: number): number {
  if (reference !== referenceOf) {
    referenceOf = reference;
    firstYear = new Date(reference + DAY).getFullYear();
    inferredKey = -1;
  }
  const key = (f.month * 32 + f.day) * 24 + f.hour;
  if (key === inferredKey) {
    f.year = inferredYear;
    return timeOfFields();
  }
  // Feb 29 goes back to the last leap year: at most 8 years in a row have none.
  for (let year = firstYear; year > firstYear - 9; year--) {
    f.year = year;
    const ms = timeOfFields();
    if (!(ms <= reference + DAY)) continue;
    const hourEnd = ms - f.minute * 60_000 - f.second * 1000 - f.ms + 3_600_000;
    if (hourEnd <= reference + DAY) {
      inferredKey = key;
      inferredYear = year;
    }
    return ms;
  }
  return Number.NaN;
}
