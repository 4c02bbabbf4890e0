// The floor under any matcher written for Node.js: reads a file in 64 KiB chunks, decodes
// UTF-8 and counts the newlines, nothing else. `node dist/bench/read-floor.js FILE`, timed
// from outside, is what the matching benchmark's riposte row cannot go below
// (docs/benchmarks.md). Receives a path; prints characters, lines and the loop's ms as JSON.

import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 65_536;

function main(path: string): void {
  const started = performance.now();
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const decoder = new StringDecoder('utf8');
  let chars = 0;
  let lines = 0;
  for (;;) {
    const read = readSync(fd, buffer, 0, CHUNK, null);
    if (read === 0) break;
    const text = decoder.write(buffer.subarray(0, read));
    chars += text.length;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  }
  closeSync(fd);
  console.log(JSON.stringify({ chars, lines, ms: performance.now() - started }));
}

const path = process.argv[2];
if (path === undefined) {
  console.error('usage: node dist/bench/read-floor.js FILE');
  process.exit(2);
}
main(path);
