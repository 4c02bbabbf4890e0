// Black-box tests of `duplicates` (behaviour §2.4): what a new trigger does while the same
// match still has pending actions from an earlier one: extend, ignore or rerun.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Config,
  inTime,
  notLate,
  patiently,
  type Report,
  type Sandbox,
  sandbox,
  sleep,
} from './harness.js';

/** A ban now and an unban `after` later, with the given `duplicates` rule. */
function config(sb: Sandbox, duplicates: string, after: string): Config {
  return sb.fifoConfig({
    f: {
      regex: ['fail from <ip>'],
      duplicates,
      actions: {
        ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
        unban: { cmd: sb.cmd('stamp', 'actions.log', 'unban', '<ip>'), after },
      },
    },
  });
}

function unbanDue(report: Report, ip: string): number[] {
  const due = report['s']?.['f']?.[ip]?.actions?.['unban'];
  assert.ok(due !== undefined, `no pending unban for ${ip} in ${JSON.stringify(report)}`);
  return due;
}

test('duplicates extend: a new trigger runs nothing now and moves the pending unban later', async (t) => {
  await patiently(t, 3000, async (sb, delay) => {
    const input = sb.fifo();
    const daemon = await sb.started(config(sb, 'extend', `${delay}ms`));
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const before = await sb.show();
    inTime(start, delay);
    const [first] = unbanDue(before, '192.0.2.1');
    // The clock moves on, so that the extended due time differs from the first one.
    await sleep(20);
    const second = Date.now();
    input.write('fail from 192.0.2.1');
    await daemon.waitLog('INFO  s.f: trigger 192.0.2.1', 2);
    inTime(start, delay);
    await daemon.waitLog('INFO  s.f: trigger 192.0.2.1 extends its pending actions');
    const report = await sb.show();
    const shown = Date.now();
    inTime(second, delay);
    const moved = unbanDue(report, '192.0.2.1');
    assert.equal(moved.length, 1);
    // The second trigger came between `second` and `shown`: its time + after, not the first's.
    assert.ok(
      moved[0]! >= second + delay && moved[0]! <= shown + delay,
      `due ${moved[0]}, not within [${second}, ${shown}] + ${delay} ms (first due ${first})`,
    );
    const lines = await daemon.waitFile('actions.log', (l) => l.some((x) => x.startsWith('unban')));
    assert.deepEqual(lines.slice(0, 2), ['ban 192.0.2.1', 'marker 1']);
    const [word, ip, at] = lines[2]!.split(' ');
    assert.deepEqual([word, ip], ['unban', '192.0.2.1']);
    assert.ok(Number(at) >= moved[0]!, `unban ran at ${at}, before its moved due time ${moved[0]}`);
    notLate(Number(at), moved[0]!, delay);
    // Once nothing is pending, a trigger is a first trigger again.
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    assert.deepEqual(sb.lines('actions.log').slice(3), ['ban 192.0.2.1', 'marker 2']);
  });
});

test('duplicates ignore: a new trigger is dropped, the pending unban keeps its time', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, 'ignore', '1h'));
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  const first = unbanDue(await sb.show(), '192.0.2.1');
  input.write('fail from 192.0.2.1');
  await daemon.waitLog('INFO  s.f: trigger 192.0.2.1 ignored: its actions are still pending');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1', 'marker 2']);
  assert.deepEqual(unbanDue(await sb.show(), '192.0.2.1'), first);
});

test('duplicates rerun: every action runs again, and the earlier pending ones stay', async (t) => {
  await patiently(t, 2000, async (sb, delay) => {
    const input = sb.fifo();
    const daemon = await sb.started(config(sb, 'rerun', `${delay}ms`));
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const report = await sb.show();
    inTime(start, delay);
    const due = unbanDue(report, '192.0.2.1');
    assert.deepEqual(sb.lines('actions.log'), [
      'ban 192.0.2.1',
      'marker 1',
      'ban 192.0.2.1',
      'marker 2',
    ]);
    assert.equal(due.length, 2, `two pending unbans expected: ${due}`);
    const lines = await daemon.waitFile('actions.log', 6);
    assert.deepEqual(
      lines.slice(4).map((l) => l.split(' ').slice(0, 2).join(' ')),
      ['unban 192.0.2.1', 'unban 192.0.2.1'],
    );
    const ran = lines.slice(4).map((l) => Number(l.split(' ')[2]));
    const sorted = [...due].sort((a, b) => a - b);
    assert.ok(ran[0]! >= sorted[0]! && ran[1]! >= sorted[1]!, `ran at ${ran}, due at ${sorted}`);
    notLate(ran[0]!, sorted[0]!, delay);
    notLate(ran[1]!, sorted[1]!, delay);
  });
});
