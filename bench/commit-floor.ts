// The floor under a ban's latency when its trigger must be durable before its action runs:
// the time of one SQLite commit (WAL, synchronous FULL, as the store opens its file) on the
// disk of a directory. `node dist/bench/commit-floor.js DIR [N]` commits one small row N
// times (300), 10 ms apart as bans at 100/s would, and prints {"p50", "p99", "max"} in ms.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../src/daemon/state/sqlite.js';

async function main(dir: string, n: number): Promise<void> {
  const path = join(dir, 'commit-floor.db');
  const db = openDatabase(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, line TEXT)');
  const insert = db.prepare('INSERT INTO rows (line) VALUES (?)');
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    db.transaction(() => insert.run(`192.0.2.${i % 256} failed ${i}`));
    ms.push(performance.now() - started);
    await new Promise((done) => setTimeout(done, 10));
  }
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  console.log(JSON.stringify({ p50: at(0.5), p99: at(0.99), max: ms[ms.length - 1] }));
}

const [dir, n] = process.argv.slice(2);
if (dir === undefined) {
  console.error('usage: node dist/bench/commit-floor.js DIR [N]');
  process.exit(2);
}
await main(dir, Number(n ?? 300));
