import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineTimes, parseReference } from './times.js';

process.env['TZ'] = 'UTC';

describe('parseReference()', () => {
  const rows: readonly [string, string | undefined][] = [
    // A year: every date of it is at most a day after the reference, none of the next year.
    ['2023', '2023-12-30T23:59:59.999Z'],
    ['2024-01-02', '2024-01-02T23:59:59.999Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05.000Z'],
    ['2024-01-02 03:04:05+01:00', '2024-01-02T02:04:05.000Z'],
    ['2024-01-02T03:04:05Z and more', undefined],
    ['2024-13-02', undefined],
    ['yesterday', undefined],
    ['24', undefined],
  ];
  for (const [text, iso] of rows) {
    test(`parseReference() reads ${JSON.stringify(text)} as ${iso ?? 'no time'}`, () => {
      const ms = parseReference(text);
      assert.equal(ms === undefined ? undefined : new Date(ms).toISOString(), iso);
    });
  }
});

describe('LineTimes', () => {
  const now = Date.UTC(2024, 5, 15);
  const times = new LineTimes(['syslog', 'epoch'], { reference: now, now });

  test('LineTimes.own() tries each format in turn', () => {
    assert.equal(times.own('Jun 10 10:00:00 host x'), Date.UTC(2024, 5, 10, 10));
    assert.equal(times.own('1718013600 host x'), Date.UTC(2024, 5, 10, 10));
    assert.equal(times.own('host x'), undefined);
  });

  test('LineTimes.own() takes a time more than a day ahead of the wall clock, or before 1990, for none', () => {
    assert.equal(times.own(`${Math.floor(now / 1000) + 86_401} host x`), undefined);
    assert.equal(times.own(`${Math.floor(now / 1000) + 86_399} host x`), now + 86_399_000);
    const old = new LineTimes(['iso8601'], { reference: now, now });
    assert.equal(old.own('1989-12-31T23:59:59Z x'), undefined);
    assert.equal(old.own('1990-01-01T00:00:00Z x'), Date.UTC(1990, 0, 1));
  });

  test('LineTimes.seen() moves the current time forward only', () => {
    const t = new LineTimes(['syslog'], { reference: now, now });
    assert.equal(t.current, undefined);
    assert.equal(t.seen(2000), true);
    assert.equal(t.seen(1000), false);
    assert.equal(t.current, 2000);
  });
});
