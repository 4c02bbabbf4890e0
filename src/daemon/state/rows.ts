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

/** Each match's entries (state/count-entries.ts) as one count, its times in order. */
function readCounts(db: Db): StoredCount[] {
  const rows = db
    .prepare(
      'SELECT m.id, m.stream, m.filter, m.match, e.time, e.line FROM count_entries e JOIN count_matches m ON m.id = e.match_id ORDER BY e.match_id, e.time, e.id',
    )
    .all() as {
    id: number;
    stream: string;
    filter: string;
    match: string;
    time: unknown;
    line: unknown;
  }[];
  const counts: (StoredCount & { id: number; times: number[]; lines: string[] })[] = [];
  for (const r of rows) {
    if (typeof r.time !== 'number')
      throw new Error(`count_entries.time holds ${JSON.stringify(r.time)}, not a time`);
    if (typeof r.line !== 'string')
      throw new Error(`count_entries.line holds ${JSON.stringify(r.line)}, not a line`);
    let last = counts[counts.length - 1];
    if (last?.id !== r.id) {
      const values = parseList(r.match, 'count_matches.match');
      if (!values.every((v) => typeof v === 'string'))
        throw new Error(
          `count_matches.match holds ${JSON.stringify(r.match)}, not a list of values`,
        );
      last = { id: r.id, stream: r.stream, filter: r.filter, values, times: [], lines: [] };
      counts.push(last);
    }
    last.times.push(r.time);
    last.lines.push(r.line);
  }
  return counts.map(({ id: _, ...count }) => count);
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
