import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closest } from './suggest.js';

const TOP = [
  'patterns',
  'streams',
  'start',
  'stop',
  'concurrency',
  'state_directory',
  'state_rotation_interval',
  'plugins',
];
const FILTER = [
  'regex',
  'retry',
  'retryperiod',
  'duplicates',
  'duplicate',
  'actions',
  'type',
  'options',
];
const ACTION = ['cmd', 'after', 'onexit', 'oneshot', 'ipv4only', 'ipv6only', 'type', 'options'];

describe('closest()', () => {
  const rows: readonly [string, readonly string[], string | undefined][] = [
    ['stream', TOP, 'streams'],
    ['pattern', TOP, 'patterns'],
    ['Streams', TOP, 'streams'],
    ['strat', TOP, 'start'],
    ['concurency', TOP, 'concurrency'],
    ['state_dir', TOP, undefined],
    ['retryperiode', FILTER, 'retryperiod'],
    ['retry_period', FILTER, 'retryperiod'],
    ['regexp', FILTER, 'regex'],
    ['actoins', FILTER, 'actions'],
    ['afer', ACTION, 'after'],
    ['onexti', ACTION, 'onexit'],
    ['ipv4_only', ACTION, 'ipv4only'],
    ['command', ACTION, undefined],
    ['xyz', ACTION, undefined],
    ['colour', TOP, undefined],
    ['', ACTION, undefined],
    ['cmd', [], undefined],
  ];
  for (const [word, known, near] of rows) {
    test(`closest() suggests ${near === undefined ? 'nothing' : `"${near}"`} for "${word}"`, () => {
      assert.equal(closest(word, known), near);
    });
  }
});
