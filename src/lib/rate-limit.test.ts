// LogLimiter with mocked time: the first lines of each interval are written, the rest are
// counted, and one summary line per interval says how many were left out.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configureLog } from './log.js';
import { LogLimiter } from './rate-limit.js';

test('LogLimiter writes the first five lines a minute and then one summary of the rest', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const lines: string[] = [];
  configureLog({ stamped: false, sink: (line) => lines.push(line) });
  const limiter = new LogLimiter('control: malformed requests');
  for (let i = 0; i < 1000; i++) limiter.log('WARN', `control: malformed request ${i}`);
  assert.deepEqual(
    lines,
    [0, 1, 2, 3, 4].map((i) => `WARN  control: malformed request ${i}\n`),
  );
  t.mock.timers.tick(60_000);
  assert.equal(lines.length, 6);
  assert.equal(
    lines[5],
    'WARN  control: malformed requests: 995 more in the last 60 s, not logged\n',
  );
  // A new minute: five more, and nothing to summarise when nothing was left out.
  for (let i = 0; i < 3; i++) limiter.log('WARN', `control: malformed request ${i}`);
  t.mock.timers.tick(60_000);
  assert.equal(lines.length, 9);
});
