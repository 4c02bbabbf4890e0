// Black-box tests of `riposte show` (behaviour §3, docs/show-format.md): both formats, the
// -l and NAME=REGEX selectors, the one-line errors, and the warning about dead streams.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readYaml } from '../../src/concepts/yaml.js';
import { sandbox } from '../daemon/harness.js';
import { config, exchange, expected, expectedYaml, populate, running } from './clients.js';

test('show prints {} in YAML and in JSON when nothing is counted or pending', async (t) => {
  const { sb } = await running(t);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(await sb.cli('show', '-f', 'json'), { code: 0, stdout: '{}\n', stderr: '' });
});

test('show prints counts and pending actions as stream → filter → match, in JSON and YAML', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn, fired } = await populate(sb, fifo, daemon);
  const json = await sb.cli('show', '-f', 'json');
  assert.deepEqual(json, {
    code: 0,
    stdout: `${JSON.stringify(expected(unban, warn, fired), null, 2)}\n`,
    stderr: '',
  });
  const yaml = await sb.cli('show');
  assert.deepEqual(yaml, { code: 0, stdout: expectedYaml(unban, warn, fired), stderr: '' });
  // The ban ran when the filter triggered; nothing else ran.
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1']);
});

test('show -l STREAM[.FILTER] and NAME=REGEX keep the selected filters and matches', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn, fired } = await populate(sb, fifo, daemon);
  const all = expected(unban, warn, fired);
  const cases: [args: string[], want: unknown][] = [
    [['-l', 's'], all],
    [['-l', 's.login'], { s: { login: all.s.login } }],
    [['-l', 's.marker'], {}],
    [['ip=192\\.0\\.2\\.1'], { s: { failed: { '192.0.2.1': all.s.failed['192.0.2.1'] } } }],
    // A regex matches the whole value: "192" alone keeps nothing.
    [['ip=192'], {}],
    [['ip=192\\.0\\.2\\.[34]'], { s: { login: all.s.login } }],
    // Filters without a "user" pattern have no match that a user selector keeps.
    [
      ['user=e.*'],
      { s: { login: { 'user=eve ip=192.0.2.4': all.s.login['user=eve ip=192.0.2.4'] } } },
    ],
    [['user=bob', 'ip=.*\\.4'], {}],
    [['-l', 's.failed', 'ip=.*'], { s: { failed: all.s.failed } }],
  ];
  for (const [args, want] of cases) {
    const r = await sb.cli('show', '-f', 'json', ...args);
    assert.deepEqual(
      { code: r.code, stderr: r.stderr, report: JSON.parse(r.stdout) },
      { code: 0, stderr: '', report: want },
      args.join(' '),
    );
  }
});

test('show and flush refuse unknown names and bad selectors with one line and exit status 1', async (t) => {
  const { sb } = await running(t);
  const cases: [args: string[], stderr: string][] = [
    [['-l', 'sx'], 'unknown stream "sx", did you mean "s"? (streams: s)'],
    [['-l', 'nowhere'], 'unknown stream "nowhere" (streams: s)'],
    [
      ['-l', 's.faild'],
      'unknown filter "s.faild", did you mean "s.failed"? (filters of s: failed, login, marker)',
    ],
    [['-l', 's.f.x'], '-l s.f.x: expected STREAM or STREAM.FILTER'],
    [['-l', '.failed'], '-l .failed: expected STREAM or STREAM.FILTER'],
    [['address=1'], 'unknown pattern "address" in selector address=1 (patterns: ip, user, n)'],
    [['ip=(192'], 'bad regex in selector ip=(192: unclosed group (at character 1)'],
    [['ip'], '"ip": expected NAME=REGEX, such as ip=192\\.0\\.2\\..*'],
    [['=1'], '"=1": expected NAME=REGEX, such as ip=192\\.0\\.2\\..*'],
  ];
  for (const command of ['show', 'flush']) {
    for (const [args, stderr] of cases) {
      const r = await sb.cli(command, ...args);
      assert.deepEqual(
        r,
        { code: 1, stdout: '', stderr: `riposte: ${stderr}\n` },
        `${command} ${args.join(' ')}`,
      );
    }
  }
});

test('show and flush warn on stderr about each stream that is not running; stdout stays the report', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const dead = { regex: ['x'], actions: { a: { cmd: ['true'] } } };
  const base = config(sb, fifo);
  const daemon = await sb.started({
    ...base,
    streams: {
      ...(base['streams'] as object),
      dying: { cmd: ['sh', '-c', 'echo bye >&2; exit 3'], filters: { x: dead } },
      ended: { cmd: ['true'], filters: { x: dead } },
    },
  });
  await daemon.waitLog('stream dying: ');
  await daemon.waitLog('stream ended: ["true"] ended (exit status 0); it is not started again');
  const warnings = [
    'riposte: warning: stream dying is not running: it is waiting to start again after exit status 3',
    'riposte: warning: stream ended is not running: it ended after exit status 0 and is not started again',
    '',
  ].join('\n');
  // The dying stream is started again after 1 s, 2 s, 4 s…: a command that asks while it
  // runs again sees it running, so each asks until it finds it waiting (it mostly waits).
  const waiting = async (...args: string[]) => {
    let r = await sb.cli(...args);
    for (let i = 0; i < 20 && !r.stderr.includes('stream dying is not running'); i++) {
      await new Promise((done) => setTimeout(done, 250));
      r = await sb.cli(...args);
    }
    return r;
  };
  assert.deepEqual(await waiting('show'), { code: 0, stdout: '{}\n', stderr: warnings });
  assert.deepEqual(await waiting('flush', '-f', 'json'), {
    code: 0,
    stdout: '{}\n',
    stderr: warnings,
  });
  // -l limits the warnings to its stream too.
  assert.deepEqual(await sb.cli('show', '-l', 's'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(await sb.cli('show', '-l', 'ended'), {
    code: 0,
    stdout: '{}\n',
    stderr: `${warnings.split('\n')[1]}\n`,
  });
});

test('every client command says so in one line when no daemon listens on the socket', async (t) => {
  const sb = sandbox(t);
  const reason = `riposte: cannot reach the daemon at ${sb.socket}: is it running? (give its socket with -s)\n`;
  for (const args of [['show'], ['flush'], ['status'], ['trigger', 's.failed', 'ip=192.0.2.1']]) {
    assert.deepEqual(await sb.cli(...args), { code: 1, stdout: '', stderr: reason }, args[0]);
  }
});

test('the YAML of show reads back as the same data as its JSON, whatever the values', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const ban = { cmd: ['true'], after: '1h' };
  await sb.started({
    patterns: { word: { regex: '[^,]+' }, n: { regex: '[0-9]+' } },
    streams: {
      s: {
        cmd: ['cat', fifo.path],
        filters: {
          one: {
            regex: ['one <word>'],
            duplicates: 'rerun',
            actions: { ban, unban: { cmd: ['true'], after: '2h' } },
          },
          two: { regex: ['two <word>,<n>'], actions: { ban } },
        },
      },
    },
  });
  const values = [
    'a: b',
    ' lead',
    'trail ',
    '#hash',
    'x #y',
    'x#y',
    'true',
    'no',
    'null',
    '~',
    '123',
    '1_000',
    '0x1F',
    '.inf',
    '1e3',
    '1:2:3',
    '- x',
    '-x',
    '?',
    ': x',
    "it's",
    '<<',
    '=',
    '"q"',
    '[x]',
    '{y}',
    '*star',
    '&amp',
    '!bang',
    '|pipe',
    '>gt',
    '%pc',
    '@at',
    '`bt',
    'é😀',
    'tab\there',
    '2001:db8::1',
    'x'.repeat(1100),
  ];
  // Straight on the socket: 37 CLI processes would make a slow test.
  const trigger = async (filter: string, values: Record<string, string>) => {
    const request = { v: 1, type: 'trigger', stream: 's', filter, values };
    const reply = JSON.parse(await exchange(sb.socket, `${JSON.stringify(request)}\n`, 'end'));
    assert.equal(reply.ok, true, reply.error);
  };
  for (const word of values) await trigger('one', { word });
  await trigger('two', { word: 'a b: c', n: '7' });
  const json = await sb.cli('show', '-f', 'json');
  const yaml = await sb.cli('show');
  assert.equal(json.code + yaml.code, 0, json.stderr + yaml.stderr);
  const data = JSON.parse(json.stdout);
  // (JavaScript puts "123" first among the keys of an object.)
  assert.deepEqual(Object.keys(data.s.one).sort(), [...values].sort());
  assert.deepEqual(Object.keys(data.s.two), ['word=a b: c n=7']);
  // Through JSON: a document's maps have no prototype, JSON.parse's have Object's.
  assert.deepEqual(JSON.parse(JSON.stringify(readYaml('show.yaml', yaml.stdout).value)), data);

  // With duplicates: rerun, a match has one time per trigger for each action, oldest first.
  await trigger('one', { word: 'true' });
  await trigger('one', { word: 'true' });
  const rerun = await sb.cli('show', '-f', 'json', 'word=true');
  const times = JSON.parse(rerun.stdout).s.one.true.actions;
  assert.deepEqual(Object.keys(times), ['ban', 'unban']);
  assert.equal(times.ban.length, 3);
  assert.deepEqual([...times.ban].sort(), times.ban);
  // One time each trigger in effect fired, an hour before its `ban` is due.
  const fired: string[] = JSON.parse(rerun.stdout).s.one.true.triggered;
  assert.deepEqual(
    fired.map((time) => Date.parse(time) + 3_600_000),
    times.ban.map((time: string) => Date.parse(time)),
  );
  assert.equal(
    rerun.stdout,
    `${JSON.stringify({ s: { one: { true: { triggered: fired, actions: times } } } }, null, 2)}\n`,
  );
  const rerunYaml = await sb.cli('show', 'word=true');
  assert.equal(
    rerunYaml.stdout,
    [
      's:',
      '  one:',
      '    "true":',
      '      triggered:',
      ...fired.map((time) => `        - ${time}`),
      '      actions:',
      '        ban:',
      ...times.ban.map((time: string) => `          - ${time}`),
      '        unban:',
      ...times.unban.map((time: string) => `          - ${time}`),
      '',
    ].join('\n'),
  );
});
