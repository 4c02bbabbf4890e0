// The floor of start-up and idle memory for riposte's design: a Node that loads the modules
// riposte loads at start (yaml, commander, better-sqlite3 with a state file open in WAL mode)
// and nothing of riposte. Receives a directory for its file; sends the argv to run it.

import { join } from 'node:path';
import { ROOT } from './measure.js';

/** Node, its dependencies loaded and a file opened; it exits, or stays idle when `stay`. */
export function nodeFloor(dir: string, stay: boolean): { argv: string[]; cwd: string } {
  const script = [
    "require('yaml');",
    "require('commander');",
    "const db = new (require('better-sqlite3'))(process.argv[1]);",
    "db.pragma('journal_mode = WAL');",
    stay ? 'setTimeout(() => {}, 1e9);' : 'db.close();',
  ].join(' ');
  return { argv: [process.execPath, '-e', script, join(dir, 'floor.db')], cwd: ROOT };
}
