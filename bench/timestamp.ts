// How fast lineTime() reads the time of log lines: the lines of a file held in memory, each
// read in the given formats (default syslog and auto), five rounds each, timed in CPU time
// (the machine is shared). `node dist/bench/timestamp.js FILE [FORMAT…]`; prints per format
// the lines that gave a time and the lines per second of each round, as JSON.

import { readFileSync } from 'node:fs';
import { lineTime, TIME_FORMATS, type TimeFormat } from '../src/lib/timestamp.js';

const ROUNDS = 5;

function rounds(
  lines: readonly string[],
  format: TimeFormat,
): { timed: number; perSecond: number[] } {
  const reference = Date.now();
  let timed = 0;
  const perSecond: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    timed = 0;
    const start = process.cpuUsage();
    for (const line of lines) if (lineTime(line, format, reference) !== undefined) timed++;
    const used = process.cpuUsage(start);
    perSecond.push(Math.round(lines.length / ((used.user + used.system) / 1e6)));
  }
  return { timed, perSecond };
}

const [file, ...asked] = process.argv.slice(2);
const formats = (asked.length === 0 ? ['syslog', 'auto'] : asked) as TimeFormat[];
if (file === undefined || formats.some((f) => !TIME_FORMATS.includes(f))) {
  process.stderr.write(`usage: node dist/bench/timestamp.js FILE [${TIME_FORMATS.join('|')}…]\n`);
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n');
if (lines.at(-1) === '') lines.pop();
const results = Object.fromEntries(formats.map((f) => [f, rounds(lines, f)]));
process.stdout.write(`${JSON.stringify({ lines: lines.length, ...results })}\n`);
