// The log a fail2ban jail reads, made of a sample file's lines (../shared/corpus, read at
// test time): those fail2ban tests under the jail's mode and the default log type, each at
// its time, in time order, as the service would have written them. Receives a sample file
// and a mode; sends the lines with their times and the failure each stands for, if any.

import { isIP } from 'node:net';
import { canonicalIp } from '../../src/lib/ip.js';
import { readSamples } from './corpus.js';

/**
 * The time fail2ban's own tests read the samples at (2005-08-14 12:00 in Zurich, their
 * zone): the years the samples' syslog dates leave out are those that put a date before it.
 */
export const SAMPLES_READ_AT = '2005-08-14T12:00:00+02:00';
export const SAMPLES_ZONE = 'Europe/Zurich';

export interface JailLine {
  /** `sshd:42`. */
  readonly where: string;
  readonly text: string;
  /** Seconds since the epoch. */
  readonly time: number;
  /** The address fail2ban counts a failure for, when the line is one. */
  readonly host: string | undefined;
}

/**
 * The lines of sample file `file` that fail2ban tests under `mode` (its added files and the
 * sections of other log types left out), in time order. A line's time is its annotation's,
 * else its own date, else that of the line before it in the file. A failure's host is what
 * fail2ban takes for an address (`192.030.0.6` too), or nothing: a host name counts only
 * through DNS, which neither side uses; a failure whose address fail2ban takes from an
 * earlier line has none in its annotation.
 */
export function jailLog(file: string, mode: string): JailLine[] {
  const reference = Date.parse(SAMPLES_READ_AT);
  let before = reference;
  const lines: JailLine[] = [];
  for (const sample of readSamples(file)) {
    if (!sample.where.startsWith(`${file}:`)) continue;
    const expected = sample.expected.find((e) => isMode(e.options, mode));
    if (expected === undefined) continue;
    const time = timeOf(sample.time, sample.text, reference) ?? before;
    before = time;
    const host = expected.host === undefined || isName(expected.host) ? undefined : expected.host;
    const canonical = host === undefined ? undefined : (canonicalIp(host) ?? host);
    lines.push({ where: sample.where, text: sample.text, time: time / 1000, host: canonical });
  }
  return lines.sort((a, b) => a.time - b.time);
}

/**
 * The time riposte gives a line that opens with a TAI64N label, in seconds: libtai's, 2^62
 * + 10 + Unix seconds. fail2ban, and the annotations it writes, leave out the 10: riposte
 * counts such a line 10 s before fail2ban does.
 */
export function labelTime(text: string): number | undefined {
  const m = /^@4([0-9a-f]{15})([0-9a-f]{8})/i.exec(text);
  if (m === null) return undefined;
  return Number.parseInt(m[1]!, 16) - 10 + Math.floor(Number.parseInt(m[2]!, 16) / 1e6) / 1000;
}

/** `example.com`, `(an earlier line)`: neither digits and dots nor an IPv6 address. */
function isName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && isIP(host) === 0;
}

/** An option set of the jail's mode and the default log type (test-only keys aside). */
function isMode(options: Readonly<Record<string, unknown>>, mode: string): boolean {
  const keys = Object.keys(options).filter((k) => !k.startsWith('test.'));
  if (keys.length === 0) return mode === 'normal';
  return keys.length === 1 && options['mode'] === mode;
}

/** The annotation's local time, or the line's own date; in ms. */
function timeOf(
  annotated: string | undefined,
  text: string,
  reference: number,
): number | undefined {
  if (annotated !== undefined) return new Date(annotated).getTime();
  return syslogDate(text, reference) ?? isoDate(text);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SYSLOG =
  /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)\b/;
const ISO = /^(\d{4})[-/](\d\d)[-/](\d\d)[ T](\d\d):(\d\d):(\d\d)\b/;

/** `Feb 25 14:34:10` in the latest year that puts it at most a day after `reference`. */
function syslogDate(text: string, reference: number): number | undefined {
  const m = SYSLOG.exec(text);
  const month = m === null ? -1 : MONTHS.indexOf(m[1]!);
  if (m === null || month < 0) return undefined;
  const [day, hour, minute, second] = m.slice(2).map(Number) as [number, number, number, number];
  for (let year = new Date(reference).getFullYear() + 1; ; year--) {
    const time = new Date(year, month, day, hour, minute, second).getTime();
    if (time <= reference + 86_400_000) return time;
  }
}

function isoDate(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}
