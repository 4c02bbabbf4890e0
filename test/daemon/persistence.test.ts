// Black-box tests of persistence and restart (behaviour §2.5): the daemon is killed with
// SIGKILL (with every process it started, as a crash or a reboot would) or stopped, then
// started again on the same state directory.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Config,
  inTime,
  logTime,
  notLate,
  patiently,
  type Sandbox,
  sandbox,
  sleepUntil,
  TooSlow,
} from './harness.js';

function config(sb: Sandbox, filters: Config): Config {
  return sb.fifoConfig(filters);
}

function record(sb: Sandbox, word: string, extra: Config = {}): Config {
  return { cmd: sb.cmd('record', 'actions.log', word, '<ip>'), ...extra };
}

function due(report: Awaited<ReturnType<Sandbox['show']>>, filter: string, action: string) {
  const times = report['s']?.[filter]?.['192.0.2.1']?.actions?.[action];
  assert.ok(times?.length === 1, `one pending ${action} expected: ${JSON.stringify(report)}`);
  return times[0]!;
}

test('after a crash, a pending action that fell due while riposte was down runs once, only once', async (t) => {
  await patiently(t, 6000, async (sb, delay) => {
    const input = sb.fifo();
    const cfg = config(sb, {
      f: {
        regex: ['fail from <ip>'],
        actions: { ban: record(sb, 'ban'), unban: record(sb, 'unban', { after: `${delay}ms` }) },
      },
    });
    const daemon = await sb.started(cfg);
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const unban = due(await sb.show(), 'f', 'unban');
    await sb.settle(daemon);
    await daemon.crash();
    inTime(start, delay);
    await sleepUntil(unban + 100);
    const again = await sb.started(cfg);
    assert.ok(
      again.log.includes('INFO  state: restored 1 trigger(s) with 0 pending action(s)'),
      again.log,
    );
    await sb.mark(input, again);
    assert.deepEqual(sb.lines('actions.log'), [
      'ban 192.0.2.1',
      'marker 1',
      'unban 192.0.2.1',
      'marker 2',
    ]);
    assert.deepEqual(await sb.show(), {});
    // It was recorded as done: a further restart runs nothing.
    assert.deepEqual(await again.stop(), { code: 0, signal: null });
    const third = await sb.started(cfg);
    await sb.mark(input, third);
    assert.deepEqual(sb.lines('actions.log').slice(4), ['marker 3']);
  });
});

test('after a crash, immediate actions run again while a delayed one is pending, which keeps its time; oneshot ones do not', async (t) => {
  await patiently(t, 8000, async (sb, delay) => {
    const input = sb.fifo();
    const cfg = config(sb, {
      f: {
        regex: ['fail from <ip>'],
        actions: {
          ban: record(sb, 'ban'),
          notify: record(sb, 'notify', { oneshot: true }),
          later: { cmd: sb.cmd('stamp', 'actions.log', 'later', '<ip>'), after: `${delay}ms` },
          unban: record(sb, 'unban', { after: '1h' }),
        },
      },
    });
    const daemon = await sb.started(cfg);
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const before = await sb.show();
    await sb.settle(daemon);
    await daemon.crash();
    inTime(start, delay);
    const again = await sb.started(cfg);
    // Applied again only while every delayed action is in the future when the state is read.
    const read = logTime(await again.waitLog(/INFO {2}state: restored /));
    if (read >= due(before, 'f', 'later')) throw new TooSlow('"later" fell due before the restart');
    // The delayed actions are back at their original times ("later" may have run already).
    const restored = await sb.show();
    assert.equal(due(restored, 'f', 'unban'), due(before, 'f', 'unban'));
    const entry = restored['s']?.['f']?.['192.0.2.1']?.actions;
    if (entry?.['later'] !== undefined)
      assert.deepEqual(entry['later'], [due(before, 'f', 'later')]);
    await again.waitFile('actions.log', (l) => l.some((x) => x.startsWith('later')));
    await sb.mark(input, again);
    assert.deepEqual(sb.lines('actions.log').slice(0, 3), [
      'ban 192.0.2.1',
      'notify 192.0.2.1',
      'marker 1',
    ]);
    const after = sb.lines('actions.log').slice(3);
    assert.equal(after.length, 3, JSON.stringify(after));
    assert.deepEqual([after[0], after[2]], ['ban 192.0.2.1', 'marker 2']);
    const [word, ip, at] = after[1]!.split(' ');
    assert.deepEqual([word, ip], ['later', '192.0.2.1']);
    const later = due(before, 'f', 'later');
    assert.ok(Number(at) >= later, `later ran at ${at}, before its due time ${later}`);
    // Due before the restart, it ran during it, before the "started" line; else on time.
    const started = logTime(again.logLines(/INFO {2}riposte \S+ started: /)[0]!);
    notLate(Number(at), Math.max(later, started), delay);
    assert.equal(due(await sb.show(), 'f', 'unban'), due(before, 'f', 'unban'));
  });
});

test('after a crash, counts younger than their retryperiod are restored and go on counting', async (t) => {
  await patiently(t, 3000, async (sb, delay) => {
    const input = sb.fifo();
    const filter = (period: string, word: string) => ({
      regex: ['fail from <ip>'],
      retry: 3,
      retryperiod: period,
      actions: { ban: record(sb, word) },
    });
    const cfg = config(sb, { long: filter('1h', 'ban'), short: filter(`${delay}ms`, 'short') });
    const daemon = await sb.started(cfg);
    const start = Date.now();
    input.write('fail from 192.0.2.1', 'fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const counts = await sb.show();
    const read = Date.now();
    inTime(start, delay);
    const counted = { matches: 2 };
    assert.deepEqual(counts, {
      s: { long: { '192.0.2.1': counted }, short: { '192.0.2.1': counted } },
    });
    await sb.settle(daemon);
    await daemon.crash();
    // Down long enough for the short filter's matches to expire.
    await sleepUntil(read + delay + 100);
    const again = await sb.started(cfg);
    assert.deepEqual(await sb.show(), { s: { long: { '192.0.2.1': counted } } });
    input.write('fail from 192.0.2.1');
    await sb.mark(input, again);
    // The long filter triggers; the short one, whose two old matches were dropped, does not.
    assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'ban 192.0.2.1', 'marker 2']);
  });
});

test('after a crash, a new trigger of a restored match extends its restored pending action', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const cfg = config(sb, {
    f: {
      regex: ['fail from <ip>'],
      actions: { ban: record(sb, 'ban'), unban: record(sb, 'unban', { after: '1h' }) },
    },
  });
  const daemon = await sb.started(cfg);
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  const first = due(await sb.show(), 'f', 'unban');
  await sb.settle(daemon);
  await daemon.crash();
  const again = await sb.started(cfg);
  input.write('fail from 192.0.2.1');
  await again.waitLog('INFO  s.f: trigger 192.0.2.1 extends its pending actions');
  await sb.mark(input, again);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'marker 1',
    'ban 192.0.2.1',
    'marker 2',
  ]);
  assert.ok(due(await sb.show(), 'f', 'unban') > first);
});

test('the state of a filter removed from the configuration is dropped, with a log line', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const filters = {
    kept: {
      regex: ['fail from <ip>'],
      retry: 3,
      retryperiod: '1h',
      actions: { ban: record(sb, 'ban') },
    },
    old: {
      regex: ['fail from <ip>'],
      actions: { ban: record(sb, 'old-ban'), unban: record(sb, 'old-unban', { after: '1h' }) },
    },
  };
  const daemon = await sb.started(config(sb, filters));
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  const without = await sb.started(config(sb, { kept: filters.kept }));
  assert.ok(
    without.log.includes(
      'INFO  state: dropped the state of filter s.old, which is no longer in the configuration\n',
    ),
    without.log,
  );
  assert.deepEqual(await sb.show(), { s: { kept: { '192.0.2.1': { matches: 1 } } } });
  assert.deepEqual(await without.stop(), { code: 0, signal: null });
  // Put back, the filter starts afresh: its pending unban was forgotten, not hidden.
  const back = await sb.started(config(sb, filters));
  await sb.mark(input, back);
  assert.deepEqual(await sb.show(), { s: { kept: { '192.0.2.1': { matches: 1 } } } });
  assert.deepEqual(sb.lines('actions.log'), ['old-ban 192.0.2.1', 'marker 1', 'marker 2']);
  assert.equal(back.logLines('state: dropped').length, 0);
});

test('a configuration changed between two runs: a restored trigger runs only what its new definition allows', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const first = await sb.started(
    config(sb, {
      f: {
        regex: ['fail from <ip>'],
        actions: {
          ban: record(sb, 'ban'),
          unban: record(sb, 'unban', { after: '1h', onexit: true }),
          note: record(sb, 'note', { after: '1h', onexit: true }),
          tell: record(sb, 'tell', { after: '1h' }),
        },
      },
    }),
  );
  input.write('fail from 192.0.2.1', 'fail from 2001:db8::1');
  await sb.mark(input, first);
  const tellDue = (await sb.show())['s']?.['f']?.['192.0.2.1']?.actions?.['tell']?.[0];
  await sb.settle(first);
  await first.crash();
  // unban renamed lift, note removed, tell made ipv4only and onexit with another delay.
  const second = await sb.started(
    config(sb, {
      f: {
        regex: ['fail from <ip>'],
        actions: {
          ban: record(sb, 'ban'),
          lift: record(sb, 'lift', { after: '1h', onexit: true }),
          tell: record(sb, 'tell', { after: '2h', ipv4only: true, onexit: true }),
        },
      },
    }),
  );
  assert.deepEqual(
    second.logLines(/WARN {2}state: /).map((l) => l.slice(l.indexOf('state:'))),
    [
      'state: 2 pending action(s) s.f.note not run: no longer in the configuration',
      'state: 2 pending action(s) s.f.unban not run: no longer in the configuration',
      'state: 1 pending action(s) s.f.tell not run: now ipv4only',
    ],
  );
  // The stored due time stands; the IPv6 trigger has nothing left that it may run.
  assert.deepEqual(await sb.show(), {
    s: { f: { '192.0.2.1': { actions: { tell: [tellDue] } } } },
  });
  await sb.mark(input, second);
  assert.deepEqual(await second.stop(), { code: 0, signal: null });
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'ban 2001:db8::1',
    'marker 1',
    'ban 192.0.2.1',
    'marker 2',
    'tell 192.0.2.1',
  ]);
});
