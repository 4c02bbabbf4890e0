// Reading the state back: every row of `riposte.db` turned into records, each column
// checked, since the file may have been damaged or edited. Receives a Db; sends the stored
// triggers and counts at start-up, and the history the control answers ask for, or an
// Error naming the column and what it held.

import type { EndHow, PastTrigger, StoredAction, StoredCount, StoredTrigger } from './records.js';
import type { Db } from './sqlite.js';

export function readRows(db: Db): { triggers: StoredTrigger[]; counts: StoredCount[] } {
  const rows = db
    .prepare('SELECT id, stream, filter, match, time, actions, lines FROM triggers ORDER BY id')
    .all() as {
    id: number;
    stream: string;
    filter: string;
    match: string;
    time: number;
    actions: string;
    lines: string;
  }[];
  const triggers = rows.map((r) => ({
    id: r.id,
    stream: r.stream,
    filter: r.filter,
    values: parseList(r.match, 'triggers.match') as string[],
    time: r.time,
    actions: parseActions(r.actions),
    lines: parseLines(r.lines, 'triggers.lines'),
  }));
  return { triggers, counts: readCounts(db) };
}

/**
 * Each match's entries (state/count-entries.ts) as one count, its times in order. SQLite
 * gathers them into one JSON list each: a million entries read as rows would cost seconds
 * of start-up, as a few thousand lists they cost a fraction of one.
 */
function readCounts(db: Db): StoredCount[] {
  const rows = db
    .prepare(
      `SELECT m.stream, m.filter, m.match,
         json_group_array(e.time ORDER BY e.time, e.id) AS times,
         json_group_array(iif(typeof(e.line) = 'text', e.line, json_object('not text', typeof(e.line))) ORDER BY e.time, e.id) AS lines
       FROM count_entries e JOIN count_matches m ON m.id = e.match_id
       GROUP BY e.match_id ORDER BY e.match_id`,
    )
    .all() as { stream: string; filter: string; match: string; times: string; lines: string }[];
  return rows.map((r) => {
    const values = parseList(r.match, 'count_matches.match');
    if (!values.every((v) => typeof v === 'string'))
      throw new Error(`count_matches.match holds ${JSON.stringify(r.match)}, not a list of values`);
    const times = parseList(r.times, 'count_entries.time');
    const odd = times.find((t) => typeof t !== 'number');
    if (odd !== undefined)
      throw new Error(`count_entries.time holds ${JSON.stringify(odd)}, not a time`);
    const lines = parseList(r.lines, 'count_entries.line');
    const bad = lines.find((l) => typeof l !== 'string');
    if (bad !== undefined)
      throw new Error(`count_entries.line holds ${JSON.stringify(bad)}, not a line`);
    return { stream: r.stream, filter: r.filter, values, times, lines } as StoredCount;
  });
}

const HOWS: readonly string[] = ['done', 'flushed', 'replaced'] satisfies EndHow[];

/** The history from `since` on, oldest end first, for the filters `select` keeps. */
export function readHistory(
  db: Db,
  since: number,
  select: (stream: string, filter: string, values: readonly string[]) => boolean,
): PastTrigger[] {
  const rows = db
    .prepare(
      'SELECT stream, filter, match, time, ended, how, lines FROM history WHERE ended >= ? ORDER BY ended, id',
    )
    .all(since) as {
    stream: string;
    filter: string;
    match: string;
    time: number;
    ended: number;
    how: string;
    lines: string;
  }[];
  const past: PastTrigger[] = [];
  for (const r of rows) {
    const values = parseList(r.match, 'history.match') as string[];
    if (!select(r.stream, r.filter, values)) continue;
    if (!HOWS.includes(r.how)) throw new Error(`history.how holds ${JSON.stringify(r.how)}`);
    past.push({
      stream: r.stream,
      filter: r.filter,
      values,
      time: r.time,
      ended: { time: r.ended, how: r.how as EndHow },
      lines: parseLines(r.lines, 'history.lines'),
    });
  }
  return past;
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

/** A list of lines: only strings, shown to the admin as they are. */
export function parseLines(text: string, column: string): string[] {
  const list = parseList(text, column);
  if (!list.every((l) => typeof l === 'string'))
    throw new Error(`${column} holds ${JSON.stringify(text)}, not a list of lines`);
  return list as string[];
}

/** A JSON list stored in a column; anything else means the file was damaged or edited. */
export function parseList(text: string, column: string): unknown[] {
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
