// Black-box tests of `riposte status`: the action counters count every type of action, each
// read from its owner, and the memory is printed with its unit.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandbox } from '../daemon/harness.js';

test('status counts virtual sends and commands, and prints memory in MB', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const config = sb.fifoConfig({
    failed: {
      regex: ['fail from <ip>'],
      actions: {
        ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
        recidive: { type: 'virtual', options: { send: '<ip>', to: 'recidive' } },
      },
    },
  });
  const streams = config['streams'] as Record<string, unknown>;
  streams['recidive'] = {
    type: 'virtual',
    filters: {
      again: {
        regex: ['^<ip>$'],
        actions: { long: { cmd: sb.cmd('record', 'actions.log', 'long', '<ip>') } },
      },
    },
  };
  const daemon = await sb.started(config);
  fifo.write('fail from 192.0.2.1', 'fail from 192.0.2.2');
  await daemon.waitFile('actions.log', (l) => l.filter((x) => x.startsWith('long')).length === 2);
  await sb.settle(daemon);
  const r = await sb.cli('status', '-f', 'json');
  assert.equal(r.code, 0, r.stderr);
  const status = JSON.parse(r.stdout) as {
    actions: Record<string, unknown>;
    memory: Record<string, string>;
  };
  // Two bans and two long bans are commands; the two lines sent to recidive are not.
  assert.deepEqual(status.actions, {
    started: 6,
    failed: 0,
    timedOut: 0,
    running: 0,
    waiting: 0,
    byType: { cmd: 4, nftables: 0, ipset: 0, virtual: 2 },
  });
  for (const [name, value] of Object.entries(status.memory))
    assert.match(value, /^\d+\.\d MB$/, name);
  const yaml = await sb.cli('status');
  assert.match(yaml.stdout, /\n {2}rss: \d+\.\d MB\n/);
});
