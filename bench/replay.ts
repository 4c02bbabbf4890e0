// riposte's matching path without the daemon, as a process of its own so that it is timed
// like the other tools: loads a configuration with riposte's own loader, reads a file in
// 64 KiB chunks (as a stream's pipe delivers them) through the daemon's line splitter and
// gives every block of lines to every filter's scan(), as a stream does. Counting,
// scheduling and the store are left out.
// Run: node dist/bench/replay.js CONFIG FILE; prints {"bytes", "matches", "ms"} as JSON.

import { closeSync, openSync, readSync } from 'node:fs';
import { loadConfig } from '../src/concepts/config.js';
import type { Filter } from '../src/concepts/filter.js';
import { LineSplitter } from '../src/lib/lines.js';

const CHUNK = 65_536;

async function filtersOf(path: string): Promise<Filter[]> {
  const loaded = await loadConfig(path);
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  return loaded.config.streams.flatMap((s) => [...s.filters]);
}

function replay(file: string, filters: readonly Filter[]): { bytes: number; matches: number } {
  const counted = { bytes: 0, matches: 0 };
  const onMatch = (): void => {
    counted.matches++;
  };
  const splitter = new LineSplitter({
    lines: () => undefined,
    block: (text) => {
      counted.bytes += text.length + 1;
      for (const filter of filters) filter.scan(text, onMatch);
    },
    overflow: () => undefined,
  });
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
    splitter.push(buffer.subarray(0, n));
  }
  splitter.end();
  closeSync(fd);
  return counted;
}

const [config, file] = process.argv.slice(2);
if (config === undefined || file === undefined) {
  process.stderr.write('usage: node dist/bench/replay.js CONFIG FILE\n');
  process.exit(2);
}
const filters = await filtersOf(config);
const start = performance.now();
const counted = replay(file, filters);
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ ...counted, ms })}\n`);
