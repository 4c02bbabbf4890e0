// The counts' rows on a real file: a count appended to over many commits writes only what
// was added (its earlier rows keep their ids), the rows dropped at the front go, a count
// forgotten or written whole again is exact, and a restart reads every count back in order,
// with the filter's own changes too (FilterRuntime on a Store).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { loadConfig } from '../../concepts/config.js';
import { configureLog } from '../../lib/log.js';
import { FilterRuntime } from '../filter.js';
import { openDatabase } from './sqlite.js';
import { STATE_FILE, Store } from './store.js';

configureLog({ level: 'ERROR', stamped: false, sink: () => undefined });

interface Entry {
  times: number[];
  lines: string[];
}

function directory(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-counts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The rows of one match as the file holds them: [id, time, line], in the order read back. */
function rows(dir: string, match = '["192.0.2.1"]'): [number, number, string][] {
  const db = openDatabase(join(dir, STATE_FILE));
  try {
    const all = db
      .prepare(
        'SELECT e.id, time, line FROM count_entries e JOIN count_matches m ON m.id = match_id WHERE match = ? ORDER BY time, e.id',
      )
      .all(match) as { id: number; time: number; line: string }[];
    return all.map((r) => [r.id, r.time, r.line]);
  } finally {
    db.close();
  }
}

/** The matches the file holds a count of. */
function matches(dir: string): string[] {
  const db = openDatabase(join(dir, STATE_FILE));
  try {
    const all = db.prepare('SELECT match FROM count_matches ORDER BY id').all();
    return (all as { match: string }[]).map((r) => r.match);
  } finally {
    db.close();
  }
}

/** A store whose one filter keeps its counts in `entries`; rows are read once it is closed. */
function counting(dir: string) {
  const entries = new Map<string, Entry>();
  const store = Store.open(dir);
  const counts = store.countsOf('s', 'f', (key) => entries.get(key));
  const append = (key: string, time: number): void => {
    const entry = entries.get(key) ?? { times: [], lines: [] };
    entries.set(key, entry);
    entry.times.push(time);
    entry.lines.push(`line ${time}`);
    counts.changed(key, [key], true);
  };
  return { store, entries, counts, append };
}

test('a count appended to over many commits writes only the new entries, and comes back whole', (t) => {
  const dir = directory(t);
  const { store, entries, append } = counting(dir);
  for (let time = 1; time <= 1000; time++) append('192.0.2.1', time);
  store.commit();
  // A row after them: the entries of a count written whole again would come after it.
  append('192.0.2.2', 1);
  store.commit();
  for (let commit = 0; commit < 20; commit++) {
    for (let i = 0; i < 5; i++) append('192.0.2.1', 1001 + commit * 5 + i);
    store.commit();
  }
  store.close();
  const written = rows(dir);
  assert.equal(written.length, 1100);
  // Each entry was inserted once: a count written whole again would have taken new ids.
  assert.deepEqual(
    written.map(([id]) => id),
    Array.from({ length: 1100 }, (_, i) => (i < 1000 ? i + 1 : i + 2)),
  );
  const again = Store.open(dir);
  t.after(() => again.close());
  assert.deepEqual(again.load().counts, [
    { stream: 's', filter: 'f', values: ['192.0.2.1'], ...entries.get('192.0.2.1') },
    { stream: 's', filter: 'f', values: ['192.0.2.2'], times: [1], lines: ['line 1'] },
  ]);
});

test('the entries dropped at the front are deleted, the others kept as written', (t) => {
  const dir = directory(t);
  const { store, entries, append } = counting(dir);
  for (let time = 1; time <= 10; time++) append('192.0.2.1', time);
  store.commit();
  const entry = entries.get('192.0.2.1')!;
  entry.times.splice(0, 4);
  entry.lines.splice(0, 4);
  append('192.0.2.1', 11);
  append('192.0.2.1', 11);
  store.close();
  assert.deepEqual(rows(dir), [
    ...[5, 6, 7, 8, 9, 10].map((time): [number, number, string] => [time, time, `line ${time}`]),
    [11, 11, 'line 11'],
    [12, 11, 'line 11'],
  ]);
});

test('appended entries dropped before their commit are never written', (t) => {
  const dir = directory(t);
  const { store, entries, append } = counting(dir);
  append('192.0.2.1', 1);
  store.commit();
  for (let time = 2; time <= 6; time++) append('192.0.2.1', time);
  const entry = entries.get('192.0.2.1')!;
  entry.times.splice(0, 4);
  entry.lines.splice(0, 4);
  store.close();
  assert.deepEqual(
    rows(dir).map(([, time, line]) => [time, line]),
    [
      [5, 'line 5'],
      [6, 'line 6'],
    ],
  );
});

test('a count forgotten is gone from the file; one changed whole is written again exactly', (t) => {
  const dir = directory(t);
  const { store, entries, counts, append } = counting(dir);
  for (let time = 1; time <= 5; time++) {
    append('192.0.2.1', time);
    append('192.0.2.2', time);
  }
  store.commit();
  entries.delete('192.0.2.1');
  counts.changed('192.0.2.1', ['192.0.2.1']);
  // A time out of order: the count is written whole again.
  entries.set('192.0.2.2', { times: [2, 3, 3, 4, 5], lines: ['b', 'c', 'x', 'd', 'e'] });
  counts.changed('192.0.2.2', ['192.0.2.2']);
  append('192.0.2.2', 6);
  store.close();
  assert.deepEqual(rows(dir), []);
  assert.deepEqual(matches(dir), ['["192.0.2.2"]']);
  assert.deepEqual(
    rows(dir, '["192.0.2.2"]').map(([, time, line]) => [time, line]),
    [
      [2, 'b'],
      [3, 'c'],
      [3, 'x'],
      [4, 'd'],
      [5, 'e'],
      [6, 'line 6'],
    ],
  );
});

test('a count that triggered and began again before the commit keeps only its new entries', (t) => {
  const dir = directory(t);
  const { store, entries, counts, append } = counting(dir);
  for (let time = 10; time <= 12; time++) append('192.0.2.1', time);
  store.commit();
  append('192.0.2.1', 13);
  entries.delete('192.0.2.1');
  counts.changed('192.0.2.1', ['192.0.2.1']);
  // A line of another host, older than the entries written before.
  append('192.0.2.1', 11);
  store.close();
  assert.deepEqual(
    rows(dir).map(([, time]) => time),
    [11],
  );
});

async function filterOf(dir: string, retry: number) {
  const file = join(dir, 'c.json');
  const f = { regex: ['from <ip>'], retry, retryperiod: '1h', actions: { a: { cmd: ['true'] } } };
  const config = {
    patterns: { ip: { type: 'ip' } },
    streams: { s: { cmd: ['true'], filters: { f } } },
  };
  writeFileSync(file, JSON.stringify(config));
  const loaded = await loadConfig(file);
  if (!loaded.ok) throw new Error(loaded.errors[0]?.message);
  return loaded.config.streams[0]!.filters[0]!;
}

test("a filter's counts over many commits, out of order, expired and triggered, come back as they were", async (t) => {
  const dir = directory(t);
  const filter = await filterOf(dir, 70);
  const store = Store.open(dir);
  const triggered: string[] = [];
  const runtime = new FilterRuntime(filter, {
    store,
    onTrigger: (_f, values) => triggered.push(values[0]!),
  });
  const hour = 3_600_000;
  for (let i = 0; i < 200; i++) {
    const time = 1_000_000 + i * 60_000;
    runtime.count(['192.0.2.1'], time, `a ${i}`);
    // Out of order now and then: an older line from another host.
    runtime.count(['192.0.2.2'], i % 7 === 0 ? time - 90_000 : time, `b ${i}`);
    if (i % 3 === 0) runtime.count(['192.0.2.3'], time, `c ${i}`);
    // 70 at once: a trigger, then a count again.
    if (i === 100) for (let n = 0; n < 70; n++) runtime.count(['192.0.2.4'], time, `d ${n}`);
    if (i >= 100) runtime.count(['192.0.2.4'], time, `d ${i}`);
    if (i % 10 === 0) store.commit();
    if (i === 150) runtime.sweep(time + hour / 2);
  }
  store.close();
  const before = [...runtime.counts()];
  const again = Store.open(dir);
  t.after(() => again.close());
  const loaded = again.load().counts;
  assert.deepEqual(
    loaded.map((c) => ({ values: c.values, times: c.times, lines: c.lines })),
    before.map((c) => ({ values: c.values, times: c.times, lines: c.lines })),
  );
  assert.deepEqual(triggered, ['192.0.2.4']);
  assert.equal(before.length, 4);
  // Each count holds about an hour of entries, never the 200 minutes counted.
  for (const c of before) assert.ok(c.times.length <= 61, `${c.values[0]}: ${c.times.length}`);
});
