// Black-box tests of a line's way and of counting (behaviour §2.1, §2.2): which filters see
// a line, which regex of a filter wins, and the retry/retryperiod sliding window.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inTime, logTime, PATTERNS, patiently, sandbox, sleepUntil } from './harness.js';

test('a line goes to every filter of its stream, and to no filter of another stream', async (t) => {
  const sb = sandbox(t);
  const one = sb.fifo('one.fifo');
  const two = sb.fifo('two.fifo');
  const filter = (name: string) => ({
    regex: ['fail from <ip>'],
    actions: { ban: { cmd: sb.cmd('record', 'actions.log', name, '<ip>') } },
  });
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      one: {
        cmd: ['cat', one.path],
        filters: { a: filter('a'), b: filter('b'), marker: sb.markerFilter() },
      },
      two: { cmd: ['cat', two.path], filters: { c: filter('c') } },
    },
  });
  one.write('sshd: fail from 192.0.2.1');
  await sb.mark(one, daemon);
  assert.deepEqual(sb.lines('actions.log').sort(), ['a 192.0.2.1', 'b 192.0.2.1', 'marker 1']);
  two.write('sshd: fail from 192.0.2.2');
  await daemon.waitFile('actions.log', 4);
  await sb.mark(one, daemon);
  assert.deepEqual(sb.lines('actions.log').slice(3), ['c 192.0.2.2', 'marker 2']);
});

test('a filter takes the first regex whose values are not ignored, and one match per line', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    sb.fifoConfig(
      {
        f: {
          regex: ['first <ip> ', 'second <ip>$'],
          actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
        },
      },
      { patterns: { ...PATTERNS, ip: { type: 'ip', ignore: ['192.0.2.99'] } } },
    ),
  );
  input.write(
    // Both regexes hit: the first one wins, the line yields one match.
    'first 192.0.2.1 second 192.0.2.2',
    // The first regex's value is ignored: the second regex is tried.
    'first 192.0.2.99 second 192.0.2.3',
    // Ignored by both: no match.
    'first 192.0.2.99 second 192.0.2.99',
    // Only the second regex hits.
    'nothing first, second 192.0.2.4',
  );
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'ban 192.0.2.3',
    'ban 192.0.2.4',
    'marker 1',
  ]);
});

test('with retry 3 a match triggers at its third occurrence, counted per match, then from zero', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    sb.fifoConfig({
      f: {
        regex: ['fail from <ip>'],
        retry: 3,
        retryperiod: '1h',
        actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
      },
    }),
  );
  input.write('fail from 192.0.2.1', 'fail from 192.0.2.2', 'fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['marker 1']);
  assert.deepEqual(await sb.show(), {
    s: { f: { '192.0.2.1': { matches: 2 }, '192.0.2.2': { matches: 1 } } },
  });
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'ban 192.0.2.1', 'marker 2']);
  // The trigger started the count again from zero: two more matches do not trigger.
  input.write('fail from 192.0.2.1', 'fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log').slice(3), ['marker 3']);
  assert.deepEqual(await sb.show(), {
    s: { f: { '192.0.2.1': { matches: 2 }, '192.0.2.2': { matches: 1 } } },
  });
});

test('a match older than retryperiod no longer counts (sliding window)', async (t) => {
  await patiently(t, 4000, async (sb, period) => {
    const input = sb.fifo();
    const daemon = await sb.started(
      sb.fifoConfig({
        f: {
          regex: ['fail from <ip>'],
          retry: 3,
          retryperiod: `${period}ms`,
          actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
        },
      }),
    );
    input.write('fail from 192.0.2.1', 'fail from 192.0.2.1');
    const read = logTime(await daemon.waitLog('INFO  s.f: match 192.0.2.1', 2));
    // Two matches more once the first two are older than retryperiod: 2 in the window, not 4.
    await sleepUntil(read + period + 100);
    const start = Date.now();
    input.write('fail from 192.0.2.1', 'fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const counts = await sb.show();
    // The window still holds the last two: a third match within it triggers.
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    inTime(start, period);
    assert.deepEqual(counts, { s: { f: { '192.0.2.1': { matches: 2 } } } });
    assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'ban 192.0.2.1', 'marker 2']);
  });
});

test('with retry 1 every match triggers at once', async (t) => {
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
            actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
          },
        },
      },
    },
  });
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', 1);
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', 2);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'ban 192.0.2.1']);
  assert.match(daemon.log, /INFO {2}s\.f: trigger 192\.0\.2\.1\n.*INFO {2}s\.f\.ban: run \[/);
});

test('the log shows matches, triggers and action runs at INFO, and every line read at DEBUG', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const config = sb.fifoConfig({
    f: {
      regex: ['fail from <ip>'],
      retry: 2,
      retryperiod: '1h',
      actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
    },
  });
  const info = await sb.started(config);
  input.write('sshd: fail from 192.0.2.1', 'sshd: fail from 192.0.2.1', 'no match here');
  await sb.mark(input, info);
  const argv = JSON.stringify(sb.cmd('record', 'actions.log', 'ban', '192.0.2.1'));
  const events = info.log
    .split('\n')
    .filter((l) => l.includes(' s.f'))
    .map((l) => l.slice(l.indexOf(' ') + 1));
  assert.deepEqual(events, [
    'INFO  s.f: match 192.0.2.1',
    'INFO  s.f: match 192.0.2.1',
    'INFO  s.f: trigger 192.0.2.1',
    `INFO  s.f.ban: run ${argv}`,
  ]);
  assert.equal(info.logLines('DEBUG').length, 0);
  assert.deepEqual(await info.stop(), { code: 0, signal: null });
  const debug = await sb.started(config, { logLevel: 'DEBUG' });
  input.write('no match here');
  await debug.waitLog('DEBUG stream s: no match here');
});

test('a filter with literals, one without and a struct filter each find their lines in one block', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const record = (name: string) => ({
    ban: { cmd: sb.cmd('record', 'actions.log', name, '<ip>') },
  });
  const daemon = await sb.started(
    sb.fifoConfig({
      literal: { regex: ['fail from <ip>'], actions: record('literal') },
      // No text every match holds: every line of a block is tried.
      free: { regex: ['^[dr]e\\w+ <ip>$'], actions: record('free') },
      json: {
        type: 'struct',
        options: { lang: 'json', fields: { 'client.ip': { regex: '^<ip>$' } } },
        actions: record('json'),
      },
    }),
  );
  // One write: the stream reads the lines as one block.
  input.write(
    'refused 192.0.2.1',
    'sshd: fail from 192.0.2.2',
    '{"client":{"ip":"192.0.2.3"}}',
    'nothing to see',
    'denied 192.0.2.4\r',
    'fail from 192.0.2.5 and refused 192.0.2.6',
    '{"client":{"ip":"192.0.2.7"},"msg":"fail from 192.0.2.8"}',
  );
  await sb.mark(input, daemon);
  // Each filter takes the block in turn: the order is per filter, not per line.
  const lines = sb.lines('actions.log');
  assert.equal(lines.at(-1), 'marker 1');
  assert.deepEqual(lines.slice(0, -1).sort(), [
    'free 192.0.2.1',
    'free 192.0.2.4',
    'json 192.0.2.3',
    'json 192.0.2.7',
    'literal 192.0.2.2',
    'literal 192.0.2.5',
    'literal 192.0.2.8',
  ]);
});
