// The cluster's rows in the real Store: what a commit makes durable, read back from a copy of
// the files taken right after it, as a crash would leave them.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configureLog } from '../../lib/log.js';
import { STATE_FILE, Store } from './store.js';

configureLog({ level: 'ERROR' });

function temp(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a restart after a crash now would read: the files copied, opened elsewhere. */
function crashCopy(from: string, to: string): Store {
  for (const suffix of ['', '-wal'])
    if (existsSync(join(from, STATE_FILE + suffix)))
      copyFileSync(join(from, STATE_FILE + suffix), join(to, STATE_FILE + suffix));
  return Store.open(to);
}

test('an outbox row and this host’s numbering are durable in the commit that follows them', (t) => {
  const [a, b] = [temp(t), temp(t)];
  const store = Store.open(a);
  t.after(() => store.close());
  store.cluster.addOutbox({ seq: 1, time: 5, line: 'ban 192.0.2.1' }, { epoch: 'e', sent: 1 });
  store.commit(false);
  const copy = crashCopy(a, b);
  const records = copy.loadCluster();
  copy.close();
  assert.deepEqual(records.outbox, [{ seq: 1, time: 5, line: 'ban 192.0.2.1' }]);
  assert.deepEqual(records.self, { epoch: 'e', sent: 1 });
});

test('a position moved is written with the counts its lines made, even by a commit that skips counts', (t) => {
  const [a, b] = [temp(t), temp(t)];
  const store = Store.open(a);
  t.after(() => store.close());
  const times = new Map([['192.0.2.1', { times: [1000], lines: [''] }]]);
  store.countsOf('peers', 'banned', (key) => times.get(key)).changed('192.0.2.1', ['192.0.2.1']);
  store.cluster.setPosition({ incarnation: 'i', seq: 7 });
  store.cluster.setPeer('web9', { epoch: 'e', seq: 3, gaps: [2] });
  store.commit(false);
  const copy = crashCopy(a, b);
  const records = copy.loadCluster();
  const { counts } = copy.load();
  copy.close();
  assert.deepEqual(records.position, { incarnation: 'i', seq: 7 });
  assert.deepEqual(records.peers.get('web9'), { epoch: 'e', seq: 3, gaps: [2] });
  assert.deepEqual(
    counts.map((c) => [c.stream, c.filter, c.values, c.times]),
    [['peers', 'banned', ['192.0.2.1'], [1000]]],
  );
});

test('a commit that skips counts leaves them for later when no position moved', (t) => {
  const [a, b] = [temp(t), temp(t)];
  const store = Store.open(a);
  t.after(() => store.close());
  const times = new Map([['192.0.2.1', { times: [1000], lines: [''] }]]);
  store.countsOf('s', 'f', (key) => times.get(key)).changed('192.0.2.1', ['192.0.2.1']);
  store.cluster.addOutbox({ seq: 1, time: 5, line: 'x' }, { epoch: 'e', sent: 1 });
  store.commit(false);
  const copy = crashCopy(a, b);
  const { counts } = copy.load();
  copy.close();
  assert.deepEqual(counts, []);
});
