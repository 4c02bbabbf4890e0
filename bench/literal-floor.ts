// The floor under riposte's matching path as it is designed: reads a file in 64 KiB chunks,
// decodes UTF-8, keeps the unfinished line for the next chunk, and searches each block for
// the literals given (those the filter's regexes require) with indexOf, nothing else.
// `node dist/bench/literal-floor.js FILE LITERAL…` prints {"hits"} as JSON: how
// many times a literal was found.

import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 65_536;

/** How many times each literal occurs in the complete lines of `block` (up to `end`). */
function hits(block: string, end: number, literals: readonly string[]): number {
  let n = 0;
  for (const literal of literals) {
    for (let at = block.indexOf(literal); at >= 0 && at < end; at = block.indexOf(literal, at + 1))
      n++;
  }
  return n;
}

function main(path: string, literals: readonly string[]): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(CHUNK);
  const decoder = new StringDecoder('utf8');
  const counted = { hits: 0 };
  let carry = '';
  for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
    const block = carry + decoder.write(buffer.subarray(0, read));
    const end = block.lastIndexOf('\n') + 1;
    counted.hits += hits(block, end, literals);
    carry = block.slice(end);
  }
  closeSync(fd);
  console.log(JSON.stringify(counted));
}

const [path, ...literals] = process.argv.slice(2);
if (path === undefined || literals.length === 0) {
  console.error('usage: node dist/bench/literal-floor.js FILE LITERAL…');
  process.exit(2);
}
main(path, literals);
