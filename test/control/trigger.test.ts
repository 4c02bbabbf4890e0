// Black-box tests of `riposte trigger STREAM.FILTER NAME=VALUE…` (behaviour §3): the values
// are checked against their patterns as if a regex had captured them, then the filter
// triggers without counting, persisted like any trigger.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandbox } from '../daemon/harness.js';
import { config, running } from './clients.js';

test('trigger runs the actions of a filter for a valid match; the trigger survives a restart', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  assert.deepEqual(await sb.cli('trigger', 's.failed', 'ip=192.0.2.7'), {
    code: 0,
    stdout: 'triggered s.failed 192.0.2.7\n',
    stderr: '',
  });
  await daemon.waitFile('actions.log', (l) => l.includes('ban 192.0.2.7'));
  const before = await sb.show();
  assert.deepEqual(Object.keys(before['s']!['failed']!), ['192.0.2.7']);
  assert.deepEqual(Object.keys(before['s']!['failed']!['192.0.2.7']!.actions!), ['unban']);

  await daemon.stop();
  const again = await sb.started(config(sb, fifo));
  await sb.mark(fifo, again);
  assert.deepEqual(await sb.show(), before);
});

test('trigger writes values in canonical form and takes every pattern of a filter', async (t) => {
  const { sb } = await running(t);
  const cases: [args: string[], stdout: string][] = [
    [['s.failed', 'ip=::ffff:192.0.2.8'], 'triggered s.failed 192.0.2.8\n'],
    [['s.failed', 'ip=2001:DB8:0:0::1'], 'triggered s.failed 2001:db8::1\n'],
    [['s.login', 'ip=192.0.2.5', 'user=bob'], 'triggered s.login user=bob ip=192.0.2.5\n'],
  ];
  for (const [args, stdout] of cases) {
    assert.deepEqual(
      await sb.cli('trigger', ...args),
      { code: 0, stdout, stderr: '' },
      args.join(' '),
    );
  }
  const shown = await sb.show();
  assert.deepEqual(Object.keys(shown['s']!['failed']!), ['192.0.2.8', '2001:db8::1']);
  assert.deepEqual(Object.keys(shown['s']!['login']!), ['user=bob ip=192.0.2.5']);
});

test('trigger refuses invalid and ignored values and unknown names, with one line and exit status 1', async (t) => {
  const { sb } = await running(t);
  const cases: [args: string[], stderr: string][] = [
    [
      ['s.failed', 'ip=192.0.2'],
      'cannot trigger s.failed: ip=192.0.2 is not a valid value of pattern "ip" (type ip)',
    ],
    [
      ['s.failed', 'ip=bob'],
      'cannot trigger s.failed: ip=bob is not a valid value of pattern "ip" (type ip)',
    ],
    [
      ['s.failed', 'ip=192.0.2.1 '],
      'cannot trigger s.failed: ip="192.0.2.1 " is not a valid value of pattern "ip" (type ip)',
    ],
    [
      ['s.login', 'user=Bob', 'ip=192.0.2.1'],
      'cannot trigger s.login: user=Bob is not a valid value of pattern "user" (regex [a-z]+)',
    ],
    [
      ['s.login', 'user=bob eve', 'ip=192.0.2.1'],
      'cannot trigger s.login: user="bob eve" is not a valid value of pattern "user" (regex [a-z]+)',
    ],
    [
      ['s.failed', 'ip=127.0.0.1'],
      'cannot trigger s.failed: ip=127.0.0.1 is ignored by patterns.ip.ignore (127.0.0.1)',
    ],
    [
      ['s.failed', 'ip=10.1.2.3'],
      'cannot trigger s.failed: ip=10.1.2.3 is ignored by patterns.ip.ignorecidr (10.0.0.0/8)',
    ],
    [
      ['s.login', 'user=bob'],
      'cannot trigger s.login: missing ip=VALUE (it needs user=VALUE ip=VALUE)',
    ],
    [
      ['s.failed', 'ip=192.0.2.1', 'user=bob'],
      'cannot trigger s.failed: it has no pattern "user" (its patterns: ip)',
    ],
    [['s.failed', 'ip=192.0.2.1', 'ip=192.0.2.2'], 'ip is given twice'],
    [['s.failed', 'ip'], '"ip": expected NAME=VALUE, such as ip=192.0.2.1'],
    [
      ['s.faild', 'ip=192.0.2.1'],
      'unknown filter "s.faild", did you mean "s.failed"? (filters of s: failed, login, marker)',
    ],
    [['ssh.failed', 'ip=192.0.2.1'], 'unknown stream "ssh" (streams: s)'],
    [['s', 'ip=192.0.2.1'], '"s": expected STREAM.FILTER, such as ssh.failedlogin'],
  ];
  for (const [args, stderr] of cases) {
    const r = await sb.cli('trigger', ...args);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: `riposte: ${stderr}\n` }, args.join(' '));
  }
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(sb.lines('actions.log'), []);
});

test('trigger refuses every value of a plain ip pattern that is not an address, whatever it holds', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const f = {
    regex: ['fail from <ip>'],
    actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
  };
  const daemon = await sb.started(sb.fifoConfig({ f }));
  // Written JSON-quoted in the error when they hold more than printable characters.
  for (const [value, written] of [
    ['not-an-ip', 'not-an-ip'],
    ['1.2.3.4; rm -rf /', '"1.2.3.4; rm -rf /"'],
    ['$(id)', '$(id)'],
    ['1.2.3.4 } ; add table ip pwned', '"1.2.3.4 } ; add table ip pwned"'],
    ['01.2.3.4', '01.2.3.4'],
    ['1.2.3.4/24', '1.2.3.4/24'],
    ['1.2.3.4\n', '"1.2.3.4\\n"'],
  ]) {
    assert.deepEqual(
      await sb.cli('trigger', 's.f', `ip=${value}`),
      {
        code: 1,
        stdout: '',
        stderr: `riposte: cannot trigger s.f: ip=${written} is not a valid value of pattern "ip" (type ip)\n`,
      },
      value,
    );
  }
  assert.equal((await sb.cli('trigger', 's.f', 'ip=192.0.2.9')).code, 0);
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.9', 'marker 1']);
});
