// What the parts of an idle riposte cost in memory: Node alone, Node with the SQLite binding
// and a WAL database open, Node with the YAML parser and the demo configuration parsed, Node
// with every module of the daemon imported. Each part idles in a process of its own for
// 1.5 s, then reads its RSS from /proc/self/smaps_rollup. `node dist/bench/memory-parts.js`
// prints the table of docs/benchmarks.md (idle RSS).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './measure.js';

const PARTS: Readonly<Record<string, string>> = {
  node: 'node idling',
  sqlite: '+ the SQLite binding, a WAL database opened',
  yaml: '+ the YAML parser, the demo configuration parsed',
  daemon: '+ every module of the daemon imported',
};

async function load(part: string): Promise<void> {
  if (part === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const dir = mkdtempSync(join(tmpdir(), 'riposte-memory-'));
    const db = new Database(join(dir, 'x.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (a)');
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  } else if (part === 'yaml') {
    const { parseDocument } = await import('yaml');
    parseDocument(readFileSync(join(ROOT, 'examples/demo/riposte.yml'), 'utf8'));
  } else if (part === 'daemon') {
    await import('../src/daemon/daemon.js');
  }
}

function rss(): { rss: number; file: number; anon: number } {
  const text = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
  // File-backed pages (code of node and of the native libraries) are the rest of Rss.
  const [all, anon] = [kb('Rss'), kb('Anonymous')];
  return { rss: all / 1024, file: (all - anon) / 1024, anon: anon / 1024 };
}

const part = process.argv[2];
if (part !== undefined) {
  await load(part);
  setTimeout(() => console.log(JSON.stringify(rss())), 1500);
} else {
  const self = fileURLToPath(import.meta.url);
  console.log('part                                               RSS MB  file MB  anon MB');
  for (const [name, label] of Object.entries(PARTS)) {
    const r = spawnSync(process.execPath, [self, name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    const m = JSON.parse(r.stdout) as { rss: number; file: number; anon: number };
    const cells = [m.rss, m.file, m.anon].map((v) => v.toFixed(1).padStart(7));
    console.log(`${label.padEnd(49)} ${cells.join('  ')}`);
  }
}
