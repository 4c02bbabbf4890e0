// Black-box tests of `riposte flush` (behaviour §3): the selected counts are forgotten and
// the pending actions run now, it prints what it flushed, and a restart (or a crash) does
// not bring any of it back.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { sandbox } from '../daemon/harness.js';
import { config, expected, expectedYaml, populate, running } from './clients.js';

test('flush NAME=REGEX runs the pending actions of one match now, and a restart keeps it flushed', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn, fired } = await populate(sb, fifo, daemon);
  const flushed = await sb.cli('flush', '-f', 'json', 'ip=192\\.0\\.2\\.1');
  const one = {
    s: { failed: { '192.0.2.1': { triggered: [fired.failed], actions: { unban: [unban] } } } },
  };
  assert.deepEqual(flushed, { code: 0, stdout: `${JSON.stringify(one, null, 2)}\n`, stderr: '' });
  await daemon.waitFile('actions.log', (lines) => lines.includes('unban 192.0.2.1'));
  const rest = expected(unban, warn, fired);
  delete (rest.s.failed as Record<string, unknown>)['192.0.2.1'];
  assert.deepEqual(await sb.show(), await sb.show());
  assert.deepEqual(JSON.parse((await sb.cli('show', '-f', 'json')).stdout), rest);

  await daemon.stop();
  const again = await sb.started(config(sb, fifo));
  await sb.mark(fifo, again);
  assert.deepEqual(JSON.parse((await sb.cli('show', '-f', 'json')).stdout), rest);
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban 192.0.2.1', 'unban 192.0.2.1'],
  );
});

test('flush forgets the counts of the selected matches: counting starts again from zero', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  await populate(sb, fifo, daemon);
  const flushed = await sb.cli('flush', '-l', 's.failed', 'ip=192\\.0\\.2\\.2');
  assert.deepEqual(flushed, {
    code: 0,
    stdout: 's:\n  failed:\n    192.0.2.2:\n      matches: 1\n',
    stderr: '',
  });
  await daemon.stop();
  const again = await sb.started(config(sb, fifo));
  // Two more failures: 2 of 3 after the flush, where 3 of 3 would have banned.
  fifo.write('fail from 192.0.2.2', 'fail from 192.0.2.2');
  await sb.mark(fifo, again);
  const shown = JSON.parse((await sb.cli('show', '-f', 'json', 'ip=192\\.0\\.2\\.2')).stdout);
  assert.deepEqual(shown, { s: { failed: { '192.0.2.2': { matches: 2 } } } });
  assert.ok(!sb.lines('actions.log').includes('ban 192.0.2.2'));
});

test('flush with no selector flushes everything after printing it; show and a restart stay empty', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn, fired } = await populate(sb, fifo, daemon);
  assert.deepEqual(await sb.cli('flush'), {
    code: 0,
    stdout: expectedYaml(unban, warn, fired),
    stderr: '',
  });
  await daemon.waitFile(
    'actions.log',
    (l) => l.includes('unban 192.0.2.1') && l.includes('warn eve'),
  );
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(await sb.cli('flush'), { code: 0, stdout: '{}\n', stderr: '' });

  await daemon.stop();
  const again = await sb.started(config(sb, fifo));
  await sb.mark(fifo, again);
  assert.deepEqual(await sb.cli('show', '-f', 'json'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban 192.0.2.1', 'unban 192.0.2.1', 'warn eve'],
  );
});

test('a flushed unban still running when the daemon crashes runs once more at restart, and the ban does not', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const barrier = sb.path('barrier');
  // The unban records "unban-IP", then waits for the barrier before it ends.
  const slowUnban = (extra = {}) => {
    const c = config(sb, fifo, extra);
    const s = (c['streams'] as Record<string, { filters: Record<string, { actions: object }> }>)[
      's'
    ]!;
    s.filters['failed']!.actions = {
      ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
      unban: { cmd: sb.cmd('wait-for', 'actions.log', 'unban-<ip>', barrier), after: '1h' },
    };
    return c;
  };
  const daemon = await sb.started(slowUnban());
  assert.deepEqual(await sb.cli('trigger', 's.failed', 'ip=192.0.2.9'), {
    code: 0,
    stdout: 'triggered s.failed 192.0.2.9\n',
    stderr: '',
  });
  await daemon.waitFile('actions.log', (l) => l.includes('ban 192.0.2.9'));
  const flushed = await sb.cli('flush', '-f', 'json');
  assert.equal(flushed.code, 0, flushed.stderr);
  await daemon.waitFile('actions.log', (l) => l.includes('unban-192.0.2.9'));
  await daemon.crash();

  const again = await sb.started(slowUnban());
  await again.waitFile('actions.log', (l) => l.filter((x) => x === 'unban-192.0.2.9').length === 2);
  writeFileSync(barrier, '');
  await again.waitFile('actions.log', (l) => l.includes('unban-192.0.2.9 done'));
  await sb.mark(fifo, again);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban 192.0.2.9', 'unban-192.0.2.9', 'unban-192.0.2.9', 'unban-192.0.2.9 done'],
  );
});
