// Black-box tests of triggering (behaviour §2.3): delayed actions, the order of a trigger's
// actions, concurrency, address families, <pattern> substitution, and actions that fail,
// hang or do not exist.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  alive,
  type Config,
  inTime,
  notLate,
  PATTERNS,
  patiently,
  type Sandbox,
  sandbox,
  until,
} from './harness.js';

/** The filter `f` on "fail from <ip>" with `actions`, beside the marker filter. */
function config(sb: Sandbox, actions: Config, extra: Config = {}): Config {
  return sb.fifoConfig({ f: { regex: ['fail from <ip>'], actions } }, extra);
}

test('an action with "after" runs at the due time that show lists, not before and not long after', async (t) => {
  await patiently(t, 2000, async (sb, delay) => {
    const input = sb.fifo();
    const daemon = await sb.started(
      config(sb, {
        ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
        unban: { cmd: sb.cmd('stamp', 'actions.log', 'unban', '<ip>'), after: `${delay}ms` },
      }),
    );
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await daemon.waitFile('actions.log', 1);
    const report = await sb.show();
    inTime(start, delay);
    const due = report['s']?.['f']?.['192.0.2.1']?.actions?.['unban'];
    assert.equal(due?.length, 1, JSON.stringify(report));
    const lines = await daemon.waitFile('actions.log', 2);
    assert.equal(lines[0], 'ban 192.0.2.1');
    const [word, ip, at] = lines[1]!.split(' ');
    assert.deepEqual([word, ip], ['unban', '192.0.2.1']);
    assert.ok(Number(at) >= due![0]!, `unban ran at ${at}, before its due time ${due![0]}`);
    notLate(Number(at), due![0]!, delay);
    assert.deepEqual(await sb.show(), {});
  });
});

/** Longest a ban may start after its trigger line was written: generous, but a bound. */
const BAN_LATENCY = 2000;

test('an immediate action starts within 2 s of its trigger line, at least once in three', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(sb, { ban: { cmd: sb.cmd('stamp', 'actions.log', 'ban', '<ip>') } }),
  );
  // Three bans one after the other: a systematic delay shows in all, a busy moment in one.
  const latencies: number[] = [];
  for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
    const written = Date.now();
    input.write(`fail from ${ip}`);
    const lines = await daemon.waitFile('actions.log', latencies.length + 1);
    latencies.push(Number(lines.at(-1)!.split(' ')[2]) - written);
  }
  t.diagnostic(`ban latencies: ${latencies.join(', ')} ms`);
  assert.ok(
    Math.min(...latencies) < BAN_LATENCY,
    `bans started ${latencies.join(', ')} ms after their lines`,
  );
});

test("a trigger's actions start in the alphabetical order of their names", async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(
      sb,
      {
        zeta: { cmd: sb.cmd('record', 'actions.log', 'zeta') },
        alpha: { cmd: sb.cmd('record', 'actions.log', 'alpha') },
        mid: { cmd: sb.cmd('record', 'actions.log', 'mid') },
      },
      { concurrency: -1 },
    ),
  );
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', 3);
  // The log is written once per event-loop turn: wait for it too.
  await daemon.waitLog(/INFO {2}s\.f\.\w+: run /, 3);
  const started = daemon.logLines(/INFO {2}s\.f\.\w+: run /).map((l) => /s\.f\.(\w+):/.exec(l)![1]);
  assert.deepEqual(started, ['alpha', 'mid', 'zeta']);
});

test('with concurrency 1 actions never overlap, and wait in the order of their triggers', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(sb, {
      a: { cmd: sb.cmd('slow', 'slow.log', 'a-<ip>') },
      b: { cmd: sb.cmd('slow', 'slow.log', 'b-<ip>') },
    }),
  );
  input.write('fail from 192.0.2.1', 'fail from 192.0.2.2', 'fail from 192.0.2.3');
  const lines = await daemon.waitFile('slow.log', 12);
  // Each action writes "start NAME ns" and "end NAME ns" itself: one at a time means that
  // every start follows the end of the action before it.
  const events = lines.map((l) => l.split(' '));
  const names = events.filter(([e]) => e === 'start').map(([, n]) => n);
  assert.deepEqual(names, [
    'a-192.0.2.1',
    'b-192.0.2.1',
    'a-192.0.2.2',
    'b-192.0.2.2',
    'a-192.0.2.3',
    'b-192.0.2.3',
  ]);
  for (let i = 0; i < events.length; i += 2) {
    const [start, name, startedAt] = events[i]!;
    const [end, endName, endedAt] = events[i + 1]!;
    assert.deepEqual([start, end, endName], ['start', 'end', name]);
    assert.ok(BigInt(endedAt!) >= BigInt(startedAt!));
    if (i > 0) assert.ok(BigInt(startedAt!) >= BigInt(events[i - 1]![2]!), `${name} overlaps`);
  }
});

test('with concurrency 2 two actions run at once', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(
      sb,
      {
        // "a" ends only once "b" has started: they can only both end if they run together.
        a: { cmd: sb.cmd('wait-for', 'actions.log', 'a', sb.path('b.started')) },
        b: { cmd: ['sh', '-c', ': > "$0"', sb.path('b.started')] },
      },
      { concurrency: 2 },
    ),
  );
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', (lines) => lines.includes('a done'));
  assert.deepEqual(sb.lines('actions.log'), ['a', 'a done']);
  assert.deepEqual(daemon.logLines('failed'), []);
});

test('ipv4only and ipv6only actions run only for matches of their family', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(sb, {
      any: { cmd: sb.cmd('record', 'actions.log', 'any', '<ip>') },
      v4: { cmd: sb.cmd('record', 'actions.log', 'v4', '<ip>'), ipv4only: true },
      v6: { cmd: sb.cmd('record', 'actions.log', 'v6', '<ip>'), ipv6only: true },
    }),
  );
  input.write('fail from 192.0.2.1', 'fail from 2001:DB8:0:0::1');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    'any 192.0.2.1',
    'v4 192.0.2.1',
    'any 2001:db8::1',
    'v6 2001:db8::1',
    'marker 1',
  ]);
});

test('<pattern> is replaced in every argv element, the program too, and passed without a shell', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  sb.script(
    'bin-alice',
    `printf "%s|" "$@" >> "${sb.path('actions.log')}"; echo >> "${sb.path('actions.log')}"`,
  );
  sb.script(
    'bin-$(touch>pwned)',
    `printf "%s|" "$@" >> "${sb.path('actions.log')}"; echo >> "${sb.path('actions.log')}"`,
  );
  const daemon = await sb.started({
    concurrency: 1,
    patterns: { ...PATTERNS, user: { regex: '\\S+' } },
    streams: {
      s: {
        cmd: ['cat', input.path],
        filters: {
          f: {
            regex: ['user <user> from <ip>'],
            actions: {
              ban: {
                cmd: [
                  sb.path('bin-<user>'),
                  '<ip>',
                  'user=<user>',
                  '<ip>/<user>/<ip>',
                  'x<ip>y',
                  '<unknown>',
                ],
              },
            },
          },
          marker: sb.markerFilter(),
        },
      },
    },
  });
  input.write('user alice from 192.0.2.1', 'user $(touch>pwned) from 192.0.2.2');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    '192.0.2.1|user=alice|192.0.2.1/alice/192.0.2.1|x192.0.2.1y|<unknown>|',
    '192.0.2.2|user=$(touch>pwned)|192.0.2.2/$(touch>pwned)/192.0.2.2|x192.0.2.2y|<unknown>|',
    'marker 1',
  ]);
  assert.equal(existsSync(sb.path('pwned')), false);
});

test('a failing action is logged with its argv, exit status and stderr, and is not retried', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(sb, { ban: { cmd: sb.cmd('fail', 'actions.log', 'ban', '<ip>') } }),
  );
  input.write('fail from 192.0.2.1');
  const argv = JSON.stringify([sb.path('fail'), sb.path('actions.log'), 'ban', '192.0.2.1']);
  await daemon.waitLog(`ERROR s.f.ban: ${argv} failed: exit status 3; stderr: boom ban 192.0.2.1`);
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1']);
});

test('an action whose program does not exist, or cannot be run, is logged with the reason', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  writeFileSync(sb.path('not-executable'), '#!/bin/sh\n');
  const daemon = await sb.started(
    config(sb, {
      a: { cmd: [sb.path('no-such-program'), '<ip>'] },
      b: { cmd: [sb.path('not-executable'), '<ip>'] },
      c: { cmd: sb.cmd('record', 'actions.log', 'c', '<ip>') },
    }),
  );
  input.write('fail from 192.0.2.1');
  const a = JSON.stringify([sb.path('no-such-program'), '192.0.2.1']);
  await daemon.waitLog(`ERROR s.f.a: ${a} failed: program not found (check PATH)`);
  const b = JSON.stringify([sb.path('not-executable'), '192.0.2.1']);
  await daemon.waitLog(`ERROR s.f.b: ${b} failed: permission denied (is the program executable?)`);
  await sb.mark(input, daemon);
  // The other action of the trigger still ran.
  assert.deepEqual(sb.lines('actions.log'), ['c 192.0.2.1', 'marker 1']);
});

test('an action running longer than --action-timeout is killed and logged, and the queue goes on', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(sb, { ban: { cmd: sb.cmd('hang', 'hang.log', 'ban', '<ip>') } }),
    { actionTimeout: '1s' },
  );
  input.write('fail from 192.0.2.1');
  const argv = JSON.stringify([sb.path('hang'), sb.path('hang.log'), 'ban', '192.0.2.1']);
  await daemon.waitLog(`ERROR s.f.ban: ${argv} killed after running 1s`);
  const pid = Number(sb.lines('hang.log')[0]!.split(' ')[2]);
  await until(`the hung action (pid ${pid}) to be gone`, daemon, () =>
    alive(pid) ? undefined : true,
  );
  await sb.mark(input, daemon);
});

test('an action that ignores SIGTERM past its timeout is killed with SIGKILL', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // An ignored signal stays ignored across exec: the sleep ignores SIGTERM too.
  sb.script('stubborn', `trap '' TERM\necho "$$" >> "$1"\nexec sleep 100000`);
  const argv = [sb.path('stubborn'), sb.path('stubborn.log')];
  const daemon = await sb.started(config(sb, { ban: { cmd: argv } }), { actionTimeout: '1s' });
  input.write('fail from 192.0.2.1');
  const pid = Number((await daemon.waitFile('stubborn.log', 1))[0]);
  await daemon.waitLog(`ERROR s.f.ban: ${JSON.stringify(argv)} killed after running 1s`);
  assert.equal(alive(pid), false);
  await sb.mark(input, daemon);
});

test('an action that exits but leaves a process holding its output does not hold its slot', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // The action's shell exits at once; the sleep it leaves behind keeps its stderr open. The
  // action is over when it exits (its stderr is read for a short while more): the queue, one
  // slot wide here, goes on long before the action timeout, and what it left is not killed.
  sb.script('leave', 'sleep 100000 & echo "$!" >> "$1"');
  const daemon = await sb.started(
    {
      ...config(sb, { ban: { cmd: [sb.path('leave'), sb.path('left.log')] } }),
      concurrency: 1,
    },
    { actionTimeout: '1h' },
  );
  input.write('fail from 192.0.2.1');
  const pid = Number((await daemon.waitFile('left.log', 1))[0]);
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  await sb.mark(input, daemon);
  assert.ok(alive(pid), 'the process the action left is still running');
  assert.doesNotMatch(daemon.log, /ERROR s\.f\.ban/);
});

test('riposte trigger runs the actions of a filter for a match at once, without counting', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      s: {
        cmd: ['cat', input.path],
        filters: {
          f: {
            regex: ['fail from <ip>'],
            retry: 3,
            retryperiod: '1h',
            actions: {
              ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
              unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
            },
          },
          marker: sb.markerFilter(),
        },
      },
    },
  });
  const r = await sb.cli('trigger', 's.f', 'ip=2001:DB8::0:1');
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'triggered s.f 2001:db8::1\n', '']);
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['ban 2001:db8::1', 'marker 1']);
  const report = await sb.show();
  assert.deepEqual(Object.keys(report['s']?.['f']?.['2001:db8::1']?.actions ?? {}), ['unban']);
});

test('ipv4only and ipv6only hold on every path: due, flushed, at shutdown, restored, and triggered from the socket', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const record = (word: string, extra: Config = {}) => ({
    cmd: sb.cmd('record', 'actions.log', word, '<ip>'),
    ...extra,
  });
  const cfg = config(sb, {
    ban: record('ban'),
    soon4: record('soon4', { after: '200ms', ipv4only: true }),
    later4: record('later4', { after: '1h', ipv4only: true }),
    exit6: record('exit6', { after: '1h', ipv6only: true, onexit: true }),
  });
  const daemon = await sb.started(cfg);
  const triggered = await sb.cli('trigger', 's.f', 'ip=2001:db8::7');
  assert.equal(triggered.code, 0, triggered.stderr);
  input.write('fail from 192.0.2.1', 'fail from 2001:db8::1');
  await daemon.waitFile('actions.log', (l) => l.includes('soon4 192.0.2.1'));
  await sb.mark(input, daemon);
  assert.deepEqual(await sb.show(), {
    s: {
      f: {
        '192.0.2.1': { actions: { later4: [due(await sb.show(), '192.0.2.1', 'later4')] } },
        '2001:db8::1': { actions: { exit6: [due(await sb.show(), '2001:db8::1', 'exit6')] } },
        '2001:db8::7': { actions: { exit6: [due(await sb.show(), '2001:db8::7', 'exit6')] } },
      },
    },
  });
  await sb.settle(daemon);
  await daemon.crash();
  // Restored: each address keeps its own family's pending actions only; the bans come back
  // where no delayed action ran yet (192.0.2.1's soon4 did: it could have been its unban).
  const again = await sb.started(cfg);
  await sb.mark(input, again);
  const flushed = await sb.cli('flush', 'ip=2001:db8::1');
  assert.equal(flushed.code, 0, flushed.stderr);
  await sb.mark(input, again);
  assert.deepEqual(await again.stop(), { code: 0, signal: null });
  const lines = sb.lines('actions.log').filter((l) => !l.startsWith('marker'));
  const of = (ip: string) => lines.filter((l) => l.endsWith(` ${ip}`)).map((l) => l.split(' ')[0]);
  assert.deepEqual(of('192.0.2.1'), ['ban', 'soon4']);
  assert.deepEqual(of('2001:db8::1'), ['ban', 'ban', 'exit6']);
  assert.deepEqual(of('2001:db8::7'), ['ban', 'ban', 'exit6']);
});

test('a masked match reaches every action as its network: immediate, delayed, flushed, restored, onexit', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const record = (word: string, extra: Config = {}) => ({
    cmd: sb.cmd('record', 'actions.log', word, '<ip>'),
    ...extra,
  });
  const cfg = {
    ...config(sb, {
      ban: record('ban'),
      soon: record('soon', { after: '200ms' }),
      unban: record('unban', { after: '1h', onexit: true }),
    }),
    patterns: { ...PATTERNS, ip: { type: 'ip', ipv4mask: 24, ipv6mask: 64 } },
  };
  const daemon = await sb.started(cfg);
  input.write('fail from 192.0.2.1', 'fail from 2001:db8:0:1::5');
  await daemon.waitFile('actions.log', (l) => l.filter((x) => x.startsWith('soon')).length === 2);
  await sb.settle(daemon);
  await daemon.crash();
  const again = await sb.started(cfg);
  await sb.mark(input, again);
  assert.equal((await sb.cli('flush', 'ip=192\\.0\\.2\\.0/24')).code, 0);
  await sb.mark(input, again);
  assert.deepEqual(await again.stop(), { code: 0, signal: null });
  const lines = sb.lines('actions.log').filter((l) => !l.startsWith('marker'));
  // The first network is flushed, the second unbanned at shutdown; neither ban is applied
  // again at the restart, since a delayed action of theirs (soon) ran.
  assert.deepEqual(
    lines.filter((l) => l.endsWith(' 192.0.2.0/24')).map((l) => l.split(' ')[0]),
    ['ban', 'soon', 'unban'],
  );
  assert.deepEqual(
    lines.filter((l) => l.endsWith(' 2001:db8:0:1::/64')).map((l) => l.split(' ')[0]),
    ['ban', 'soon', 'unban'],
  );
  assert.equal(lines.length, 6, lines.join('\n'));
});

/** The one due time of a pending action of a match of `s.f`. */
function due(report: Awaited<ReturnType<Sandbox['show']>>, ip: string, action: string): number {
  const times = report['s']?.['f']?.[ip]?.actions?.[action];
  assert.ok(times?.length === 1, `one pending ${action} for ${ip}: ${JSON.stringify(report)}`);
  return times[0]!;
}
