// Reading the state back at start-up: every row of `riposte.db` turned into records, each
// column checked, since the file may have been damaged or edited. Receives a Db; sends the
// stored triggers and counts, or an Error naming the column and what it held.

import type { StoredAction, StoredCount, StoredTrigger } from './records.js';
import type { Db } from './sqlite.js';

export function readRows(db: Db): { triggers: StoredTrigger[]; counts: StoredCount[] } {
  const rows = db
    .prepare('SELECT id, stream, filter, match, time, actions FROM triggers ORDER BY id')
    .all() as {
    id: number;
    stream: string;
    filter: string;
    match: string;
    time: number;
    actions: string;
  }[];
  const triggers = rows.map((r) => ({
    id: r.id,
    stream: r.stream,
    filter: r.filter,
    values: parseList(r.match, 'triggers.match') as string[],
    time: r.time,
    actions: parseActions(r.actions),
  }));
  const counts = (
    db.prepare('SELECT stream, filter, match, times FROM counts').all() as {
      stream: string;
      filter: string;
      match: string;
      times: string;
    }[]
  ).map((r) => ({
    stream: r.stream,
    filter: r.filter,
    values: parseList(r.match, 'counts.match') as string[],
    times: parseList(r.times, 'counts.times') as number[],
  }));
  return { triggers, counts };
}

/** The column of a trigger's actions: name → [due, done (0 or 1)]. */
export function actionsJson(actions: readonly StoredAction[]): string {
  const object: Record<string, [number, number]> = {};
  for (const a of actions) object[a.name] = [a.due, a.done ? 1 : 0];
  return JSON.stringify(object);
}

function parseActions(text: string): StoredAction[] {
  const value = parseJson(text);
  const entries =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.entries(value)
      : undefined;
  const valid = entries?.every(
    ([, v]) => Array.isArray(v) && typeof v[0] === 'number' && (v[1] === 0 || v[1] === 1),
  );
  if (entries === undefined || !valid)
    throw new Error(`triggers.actions holds ${JSON.stringify(text)}, not a map of actions`);
  return entries.map(([name, v]) => ({
    name,
    due: (v as number[])[0]!,
    done: (v as number[])[1] === 1,
  }));
}

/** A JSON list stored in a column; anything else means the file was damaged or edited. */
function parseList(text: string, column: string): unknown[] {
  const value = parseJson(text);
  if (!Array.isArray(value)) throw new Error(`${column} holds ${JSON.stringify(text)}, not a list`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
