// What counting lines costs the matching path (riposte_stream_lines_total, counted only when
// the metrics are served): a file read in 64 KiB chunks through the daemon's line splitter,
// each block given to every filter's scan(), with and without countLines() on each block,
// rounds alternating. Receives a configuration and a file; prints the CPU time of each round
// and the medians, in ms, as JSON.
//
//   node dist/bench/line-count.js bench/configs/ssh.yml /tmp/ssh1m.log [--rounds 5]

import { closeSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/concepts/config.js';
import type { Filter } from '../src/concepts/filter.js';
import { countLines, LineSplitter } from '../src/lib/lines.js';

const CHUNK = 65_536;

function round(file: string, filters: readonly Filter[], count: boolean): number {
  let lines = 0;
  const onMatch = (): void => undefined;
  const splitter = new LineSplitter({
    lines: () => undefined,
    block: (text) => {
      if (count) lines += countLines(text);
      for (const f of filters) f.scan(text, onMatch);
    },
    overflow: () => undefined,
  });
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const cpu = process.cpuUsage();
  for (;;) {
    const read = readSync(fd, buffer, 0, CHUNK, null);
    if (read === 0) break;
    splitter.push(buffer.subarray(0, read));
  }
  splitter.end();
  closeSync(fd);
  const used = process.cpuUsage(cpu);
  if (count && lines === 0) throw new Error(`${file}: no line counted`);
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '5' } },
  });
  const [config, file] = positionals;
  if (config === undefined || file === undefined)
    throw new Error('usage: line-count.js CONFIG FILE [--rounds N]');
  const loaded = await loadConfig(config);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const filters = loaded.config.streams.flatMap((s) => [...s.filters]);
  round(file, filters, false);
  round(file, filters, true);
  const without: number[] = [];
  const counted: number[] = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    without.push(round(file, filters, false));
    counted.push(round(file, filters, true));
  }
  const median = (a: number[]) => a.toSorted((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const ms = (a: number[]) => a.map((v) => Math.round(v));
  console.log(
    JSON.stringify({
      without: ms(without),
      counted: ms(counted),
      medianWithout: Math.round(median(without)),
      medianCounted: Math.round(median(counted)),
    }),
  );
}

await main();
