import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration()', () => {
  const valid: readonly [string, number][] = [
    ['0ms', 0],
    ['0s', 0],
    ['250ms', 250],
    ['1millis', 1],
    ['2millisecond', 2],
    ['3milliseconds', 3],
    ['10s', 10 * S],
    ['10sec', 10 * S],
    ['10 secs', 10 * S],
    ['1second', S],
    ['90seconds', 90 * S],
    ['5m', 5 * M],
    ['30 min', 30 * M],
    ['2mins', 2 * M],
    ['1minute', M],
    ['45minutes', 45 * M],
    ['48h', 48 * H],
    ['1hour', H],
    ['6 hours', 6 * H],
    ['7d', 7 * D],
    ['1day', D],
    ['30   days', 30 * D],
    ['007s', 7 * S],
  ];
  for (const [text, ms] of valid) {
    test(`parseDuration() reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const invalid: readonly [string, string][] = [
    ['1.5h', 'fractions are not allowed, use a smaller unit'],
    ['1,5h', 'fractions are not allowed, use a smaller unit'],
    ['12.5 min', 'fractions are not allowed, use a smaller unit'],
    ['x1.5h', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['10', 'missing unit (ms, s, m, h or d)'],
    ['10x', 'unknown unit "x" (ms, s, m, h or d)'],
    ['2w', 'unknown unit "w" (ms, s, m, h or d)'],
    ['48H', 'unknown unit "H" (ms, s, m, h or d)'],
    ['1 week', 'unknown unit "week" (ms, s, m, h or d)'],
    ['-1h', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    [' 48h', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['48h ', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['1h30m', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['h', 'expected an integer followed by a unit, such as "48h" or "30 min"'],
    ['99999999999999999d', 'too large'],
  ];
  for (const [text, why] of invalid) {
    test(`parseDuration() rejects ${JSON.stringify(text)}: ${why}`, () => {
      assert.deepEqual(parseDuration(text), {
        error: `cannot parse duration ${JSON.stringify(text)}: ${why}`,
      });
    });
  }
});

describe('formatDuration()', () => {
  const rows: readonly [number, string][] = [
    [0, '0s'],
    [1, '1ms'],
    [1500, '1500ms'],
    [S, '1s'],
    [90 * S, '90s'],
    [M, '1m'],
    [90 * M, '90m'],
    [H, '1h'],
    [D, '24h'],
    [6 * D, '144h'],
    [7 * D, '7d'],
    [30 * D, '30d'],
    [8 * D + H, '193h'],
  ];
  for (const [ms, text] of rows) {
    test(`formatDuration() writes ${ms} ms as ${text}, which parses back`, () => {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    });
  }
});
