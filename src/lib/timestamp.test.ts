import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineTime, type TimeFormat } from './timestamp.js';

// Local times are read in a zone with daylight saving time, whatever the machine's zone.
process.env['TZ'] = 'Europe/Paris';

/** Mid-June 2024: syslog dates are inferred from it unless a row gives its own reference. */
const JUNE = Date.parse('2024-06-15T12:00:00Z');

interface Row {
  readonly line: string;
  readonly format: TimeFormat;
  /** ISO 8601 with offset, or undefined when the line holds no valid time of that format. */
  readonly time: string | undefined;
  readonly reference?: string;
}

const rows: readonly Row[] = [
  // syslog: local time, year inferred
  { format: 'syslog', line: 'Jun 10 06:55:46 host sshd[1]: x', time: '2024-06-10T06:55:46+02:00' },
  { format: 'syslog', line: 'Jun  1 06:55:46 host sshd[1]: x', time: '2024-06-01T06:55:46+02:00' },
  { format: 'syslog', line: 'Jun 1 06:55:46 host', time: '2024-06-01T06:55:46+02:00' },
  { format: 'syslog', line: 'Jun 01 06:55:46 host', time: '2024-06-01T06:55:46+02:00' },
  { format: 'syslog', line: 'Feb 10 06:55:46 host', time: '2024-02-10T06:55:46+01:00' },
  { format: 'syslog', line: 'jun 10 06:55:46 host', time: '2024-06-10T06:55:46+02:00' },
  { format: 'syslog', line: 'JUN 10 06:55:46', time: '2024-06-10T06:55:46+02:00' },
  {
    format: 'syslog',
    line: 'Jun 10 06:55:46.123456 host',
    time: '2024-06-10T06:55:46.123+02:00',
  },
  { format: 'syslog', line: '<34>Jun 10 06:55:46 host su: x', time: '2024-06-10T06:55:46+02:00' },
  {
    format: 'syslog',
    line: '[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1] x',
    time: '2000-10-11T14:32:52.123+02:00',
  },
  { format: 'syslog', line: 'Oct 11 14:32:52 2000 host x', time: '2000-10-11T14:32:52+02:00' },
  { format: 'syslog', line: 'Jun 10 06:55:46 2000host x', time: '2024-06-10T06:55:46+02:00' },
  { format: 'syslog', line: 'Jun 16 11:00:00 host', time: '2024-06-16T11:00:00+02:00' },
  // More than a day ahead of the reference: last year's.
  { format: 'syslog', line: 'Jun 17 12:00:00 host', time: '2023-06-17T12:00:00+02:00' },
  { format: 'syslog', line: 'Dec 10 06:55:46 host', time: '2023-12-10T06:55:46+01:00' },
  // New year: a Dec 31 line read on Jan 1 is last year's; a Jan 1 line is this year's.
  {
    format: 'syslog',
    line: 'Dec 31 23:59:59 host',
    reference: '2025-01-01T00:05:00+01:00',
    time: '2024-12-31T23:59:59+01:00',
  },
  {
    format: 'syslog',
    line: 'Jan  1 00:00:01 host',
    reference: '2025-01-01T00:05:00+01:00',
    time: '2025-01-01T00:00:01+01:00',
  },
  {
    format: 'syslog',
    line: 'Jan  1 00:00:01 host',
    reference: '2024-12-31T23:00:00+01:00',
    time: '2025-01-01T00:00:01+01:00',
  },
  // Feb 29 read in a year without one: the last leap year.
  {
    format: 'syslog',
    line: 'Feb 29 10:00:00 host',
    reference: '2027-03-01T00:00:00Z',
    time: '2024-02-29T10:00:00+01:00',
  },
  // Daylight saving time ends: the hour is local whatever its offset.
  { format: 'syslog', line: 'Oct 27 03:30:00 host', time: '2023-10-27T03:30:00+02:00' },
  {
    format: 'syslog',
    line: 'Oct 27 03:30:00 host',
    reference: '2024-11-01T00:00:00Z',
    time: '2024-10-27T03:30:00+01:00',
  },
  { format: 'syslog', line: 'Jun 31 06:55:46 host', time: undefined },
  { format: 'syslog', line: 'Jun 10 24:00:00 host', time: undefined },
  { format: 'syslog', line: 'Jun 10 06:60:00 host', time: undefined },
  { format: 'syslog', line: 'Jux 10 06:55:46 host', time: undefined },
  { format: 'syslog', line: 'Jun 10 06:55', time: undefined },
  { format: 'syslog', line: 'Jun10 06:55:46', time: undefined },
  { format: 'syslog', line: 'host sshd: Jun 10 06:55:46', time: undefined },
  { format: 'syslog', line: '', time: undefined },
  // iso8601
  {
    format: 'iso8601',
    line: '2024-03-05T10:11:12.345+01:00 host x',
    time: '2024-03-05T09:11:12.345Z',
  },
  { format: 'iso8601', line: '2024-03-05T10:11:12Z x', time: '2024-03-05T10:11:12Z' },
  { format: 'iso8601', line: '2024-03-05t10:11:12z', time: '2024-03-05T10:11:12Z' },
  { format: 'iso8601', line: '2024-03-05T10:11:12-0700 x', time: '2024-03-05T17:11:12Z' },
  { format: 'iso8601', line: '2024-03-05T10:11:12+05 x', time: '2024-03-05T05:11:12Z' },
  { format: 'iso8601', line: '2024-03-05 10:11:12 x', time: '2024-03-05T10:11:12+01:00' },
  { format: 'iso8601', line: '2024-07-05 10:11:12,250 x', time: '2024-07-05T10:11:12.25+02:00' },
  { format: 'iso8601', line: '2024/03/05 10:11:12 [error] x', time: '2024-03-05T10:11:12+01:00' },
  { format: 'iso8601', line: '2024-03-05 10:11:12 +0000 x', time: '2024-03-05T10:11:12Z' },
  { format: 'iso8601', line: '[2024-03-05T10:11:12Z] x', time: '2024-03-05T10:11:12Z' },
  {
    format: 'iso8601',
    line: '<165>1 2003-10-11T22:14:15.003Z host app - - x',
    time: '2003-10-11T22:14:15.003Z',
  },
  { format: 'iso8601', line: '2024-02-30T10:11:12Z', time: undefined },
  { format: 'iso8601', line: '2024-13-05T10:11:12Z', time: undefined },
  { format: 'iso8601', line: '2024-03-05/10:11:12Z', time: undefined },
  { format: 'iso8601', line: '2024-03/05T10:11:12Z', time: undefined },
  { format: 'iso8601', line: 'x 2024-03-05T10:11:12Z', time: undefined },
  // clf, wherever it sits
  {
    format: 'clf',
    line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',
    time: '2000-10-10T20:55:36Z',
  },
  {
    format: 'clf',
    line: 'host [x] 1.2.3.4 - - [05/Mar/2024:10:11:12 +0100] "GET /"',
    time: '2024-03-05T09:11:12Z',
  },
  { format: 'clf', line: '[05/Mar/2024:10:11:12 +0100]', time: '2024-03-05T09:11:12Z' },
  { format: 'clf', line: '1.2.3.4 - - [05/Mar/2024:10:11:12]', time: '2024-03-05T10:11:12+01:00' },
  { format: 'clf', line: '1.2.3.4 - - [5/Mar/2024:10:11:12 +0100]', time: undefined },
  { format: 'clf', line: '1.2.3.4 - - [05/Mxr/2024:10:11:12 +0100]', time: undefined },
  { format: 'clf', line: '1.2.3.4 - - [', time: undefined },
  // epoch
  { format: 'epoch', line: '1700000000 host x', time: '2023-11-14T22:13:20Z' },
  { format: 'epoch', line: '1700000000.123456 host x', time: '2023-11-14T22:13:20.123Z' },
  { format: 'epoch', line: '[1700000000] x', time: '2023-11-14T22:13:20Z' },
  { format: 'epoch', line: '1700000000', time: '2023-11-14T22:13:20Z' },
  { format: 'epoch', line: '170000000 x', time: undefined },
  { format: 'epoch', line: '17000000000 x', time: undefined },
  { format: 'epoch', line: '1700000000.1.2 x', time: undefined },
  { format: 'epoch', line: 'x 1700000000', time: undefined },
  // journal
  {
    format: 'journal',
    line: '{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000000123456","MESSAGE":"x"}',
    time: '2023-11-14T22:13:20.123Z',
  },
  {
    format: 'journal',
    line: '{ "__REALTIME_TIMESTAMP" : 1700000000123456 }',
    time: '2023-11-14T22:13:20.123Z',
  },
  { format: 'journal', line: '{"MESSAGE":"x"}', time: undefined },
  { format: 'journal', line: 'x {"__REALTIME_TIMESTAMP":"1700000000123456"}', time: undefined },
  { format: 'journal', line: '{"__REALTIME_TIMESTAMP":"x"}', time: undefined },
  // auto: each format where it usually sits
  { format: 'auto', line: 'Jun 10 06:55:46 host sshd[1]: x', time: '2024-06-10T06:55:46+02:00' },
  { format: 'auto', line: '2024-03-05T10:11:12Z host x', time: '2024-03-05T10:11:12Z' },
  { format: 'auto', line: '1700000000.5 host x', time: '2023-11-14T22:13:20.5Z' },
  {
    format: 'auto',
    line: '{"__REALTIME_TIMESTAMP":"1700000000123456","MESSAGE":"Jun 10 06:55:46"}',
    time: '2023-11-14T22:13:20.123Z',
  },
  {
    format: 'auto',
    line: '1.2.3.4 - - [05/Mar/2024:10:11:12 +0100] "GET /"',
    time: '2024-03-05T09:11:12Z',
  },
  {
    format: 'auto',
    line: 'example.org 1.2.3.4 - - [05/Mar/2024:10:11:12 +0100] "GET /"',
    time: '2024-03-05T09:11:12Z',
  },
  {
    format: 'auto',
    line: '[Wed Oct 11 14:32:52.123456 2000] [core:error] x',
    time: '2000-10-11T14:32:52.123+02:00',
  },
  {
    format: 'auto',
    line: '@400000004c91b044077a9e94 imap-login: x',
    time: '2010-09-16T05:50:50.125Z',
  },
  { format: 'auto', line: 'Failed password for root from 1.2.3.4', time: undefined },
  { format: 'auto', line: '12345 things', time: undefined },
  { format: 'auto', line: '', time: undefined },

  // tai64n: 2^62 + 10 + Unix seconds, then nanoseconds (0x077a9e94 = 125476500 ns)
  { format: 'tai64n', line: '@400000004c91b044077a9e94 x', time: '2010-09-16T05:50:50.125Z' },
  { format: 'tai64n', line: '@400000004C91B044077A9E94', time: '2010-09-16T05:50:50.125Z' },
  { format: 'tai64n', line: '<34>@400000004c91b044077a9e94 x', time: '2010-09-16T05:50:50.125Z' },
  { format: 'tai64n', line: '@400000004c91b044077a9e94f x', time: undefined },
  { format: 'tai64n', line: '@400000004c91b044077a9e9 x', time: undefined },
  { format: 'tai64n', line: '@500000004c91b044077a9e94 x', time: undefined },
  { format: 'tai64n', line: '@400000004c91b0443b9aca00 x', time: undefined },
  { format: 'tai64n', line: '@40000000\x104c91b04077a9e94 x', time: undefined },
  { format: 'tai64n', line: 'Sep 16 07:51:00 host x', time: undefined },
];

describe('lineTime()', () => {
  for (const row of rows) {
    const expected = row.time === undefined ? 'no time' : row.time;
    const from = row.reference === undefined ? '' : ` read at ${row.reference}`;
    test(`lineTime() in ${row.format} gives ${expected} for ${JSON.stringify(row.line)}${from}`, () => {
      const reference = row.reference === undefined ? JUNE : Date.parse(row.reference);
      const got = lineTime(row.line, row.format, reference);
      const want = row.time === undefined ? undefined : Date.parse(row.time);
      assert.equal(
        got === undefined ? undefined : new Date(got).toISOString(),
        want === undefined ? undefined : new Date(want).toISOString(),
      );
    });
  }

  test('lineTime() never throws, whatever the line', () => {
    const formats: TimeFormat[] = [
      'syslog',
      'iso8601',
      'clf',
      'epoch',
      'journal',
      'tai64n',
      'auto',
    ];
    const pieces = ['Jun', ' ', '1', '10', ':', '2024', '-', '[', ']', '{', '"', '.', '<3>', 'Z'];
    let seed = 7;
    for (let n = 0; n < 5000; n++) {
      let line = '';
      for (let k = 0; k < 12; k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        line += pieces[seed % pieces.length];
      }
      for (const format of formats) {
        const got = lineTime(line, format, JUNE);
        assert.ok(got === undefined || Number.isFinite(got), `${format}: ${line}`);
      }
    }
  });
});
