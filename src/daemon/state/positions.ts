// What the state holds for the streams riposte reads itself (files, the journal): where each
// resumes. Receives the positions the streams report; sends them to the Store's commits that
// write the counts, in the same transaction as the counts of the lines read before them.

import { log } from '../../lib/log.js';
import type { Db, Statement } from './sqlite.js';

export const POSITION_TABLE = `
  CREATE TABLE stream_positions (
    stream TEXT PRIMARY KEY, position TEXT NOT NULL) WITHOUT ROWID;
`;

/** The positions not yet committed: the JSON of each, or null for one to forget. */
export class PositionsPending {
  #positions = new Map<string, string | null>();

  get size(): number {
    return this.#positions.size;
  }

  set(stream: string, position: unknown): void {
    this.#positions.set(stream, position === undefined ? null : JSON.stringify(position));
  }

  take(): Map<string, string | null> {
    const taken = this.#positions;
    this.#positions = new Map();
    return taken;
  }

  /** Puts back positions whose transaction failed, under those reported since. */
  requeue(taken: ReadonlyMap<string, string | null>): void {
    for (const [stream, json] of taken)
      if (!this.#positions.has(stream)) this.#positions.set(stream, json);
  }
}

export function positionStatements(db: Db) {
  return {
    put: db.prepare('INSERT OR REPLACE INTO stream_positions (stream, position) VALUES (?, ?)'),
    drop: db.prepare('DELETE FROM stream_positions WHERE stream = ?'),
  } satisfies Record<string, Statement>;
}

/** Writes positions; the caller runs it inside the transaction of the counts. */
export function applyPositions(
  s: ReturnType<typeof positionStatements>,
  taken: ReadonlyMap<string, string | null>,
): void {
  for (const [stream, json] of taken) {
    if (json === null) s.drop.run(stream);
    else s.put.run(stream, json);
  }
}

/**
 * The positions stored, by stream. A row that is not JSON is left out with a warning: the
 * stream then starts as on its first start, and each source checks the rest of what it reads.
 */
export function readPositions(db: Db, path: string): Map<string, unknown> {
  const rows = db.prepare('SELECT stream, position FROM stream_positions').all() as {
    stream: unknown;
    position: unknown;
  }[];
  const positions = new Map<string, unknown>();
  for (const { stream, position } of rows) {
    try {
      if (typeof stream !== 'string' || typeof position !== 'string') throw new Error('not text');
      positions.set(stream, JSON.parse(position));
    } catch {
      log(
        'WARN',
        `state: ${path}: the position of stream ${JSON.stringify(stream)} cannot be read (${JSON.stringify(String(position).slice(0, 80))}); the stream starts as if it had none`,
      );
    }
  }
  return positions;
}
