// Black-box test of virtual streams (behaviour §5): a stream with no command, fed by the
// actions of type "virtual" of other filters: the escalating ban of repeat offenders.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PATTERNS, sandbox } from './harness.js';

test('a virtual stream fed by virtual actions bans repeat offenders for longer', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      ssh: {
        cmd: ['cat', input.path],
        filters: {
          failedlogin: {
            regex: ['fail from <ip>'],
            actions: {
              ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
              tell: { type: 'virtual', options: { send: 'banned <ip>', to: 'recidive' } },
            },
          },
          marker: sb.markerFilter(),
        },
      },
      recidive: {
        type: 'virtual',
        filters: {
          repeat: {
            regex: ['^banned <ip>$'],
            retry: 2,
            retryperiod: '1h',
            actions: { longban: { cmd: sb.cmd('record', 'actions.log', 'longban', '<ip>') } },
          },
        },
      },
    },
  });
  input.write('fail from 192.0.2.1', 'fail from 192.0.2.2');
  await daemon.waitLog('INFO  ssh.failedlogin.tell: send "banned 192.0.2.2" to recidive');
  await sb.mark(input, daemon);
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', (l) => l.includes('longban 192.0.2.1'));
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'ban 192.0.2.2',
    'marker 1',
    'ban 192.0.2.1',
    'longban 192.0.2.1',
    'marker 2',
  ]);
  assert.deepEqual(await sb.show(), { recidive: { repeat: { '192.0.2.2': { matches: 1 } } } });
});

test('a restart re-applies bans but does not send virtual lines again (no escalation by restart)', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const cfg = {
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      ssh: {
        cmd: ['cat', input.path],
        filters: {
          failedlogin: {
            regex: ['fail from <ip>'],
            actions: {
              ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
              tell: { type: 'virtual', options: { send: 'banned <ip>', to: 'recidive' } },
              unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
            },
          },
          marker: sb.markerFilter(),
        },
      },
      recidive: {
        type: 'virtual',
        filters: {
          repeat: {
            regex: ['^banned <ip>$'],
            retry: 2,
            retryperiod: '1h',
            actions: { longban: { cmd: sb.cmd('record', 'actions.log', 'longban', '<ip>') } },
          },
        },
      },
    },
  };
  const daemon = await sb.started(cfg);
  input.write('fail from 192.0.2.1');
  await daemon.waitLog('INFO  ssh.failedlogin.tell: send "banned 192.0.2.1" to recidive');
  await sb.mark(input, daemon);
  await sb.settle(daemon);
  await daemon.crash();
  const again = await sb.started(cfg);
  await sb.mark(input, again);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'marker 1',
    'ban 192.0.2.1',
    'marker 2',
  ]);
  const report = await sb.show();
  assert.deepEqual(report['recidive'], { repeat: { '192.0.2.1': { matches: 1 } } });
  assert.equal(again.logLines('send "banned 192.0.2.1"').length, 0);
});
