// Black-box tests of values that come from outside a capture: every value that reaches an
// action is a value of its pattern, whatever its source (the state file at restart, a
// virtual stream), no value can forge a line of riposte's own log, and the daemon does not
// start on a configuration that puts a regex pattern's value inside a shell script.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { type Config, PATTERNS, ROOT, type Sandbox, sandbox } from './harness.js';

/** `fail from <ip>` twice bans (recorded in actions.log) and unbans an hour later. */
function banConfig(sb: Sandbox): Config {
  const f = {
    regex: ['fail from <ip>'],
    retry: 2,
    retryperiod: '1h',
    actions: {
      ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
      unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
    },
  };
  return sb.fifoConfig({ f });
}

test('stored values that are not values of their pattern are dropped at restart, logged, never acted on', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const first = await sb.started(banConfig(sb));
  const r = await sb.cli('trigger', 's.f', 'ip=192.0.2.1');
  assert.equal(r.code, 0, r.stderr);
  input.write('fail from 192.0.2.2');
  await sb.mark(input, first);
  await sb.settle(first);
  assert.deepEqual(await first.stop(), { code: 0, signal: null });

  const file = sb.path('state', 'riposte.db');
  sqlite(file, [
    `UPDATE triggers SET match = '["192.0.2.1; nft flush ruleset"]'`,
    `INSERT INTO triggers (id, stream, filter, match, time, actions) SELECT id + 100, stream, filter, '["192.0.2.3", "x"]', time, actions FROM triggers`,
    `INSERT INTO triggers (id, stream, filter, match, time, actions) SELECT id + 200, stream, filter, '[7]', time, actions FROM triggers WHERE id < 100`,
    `UPDATE count_matches SET match = '["$(id)"]' WHERE filter = 'f'`,
  ]);
  const again = await sb.started(banConfig(sb));
  await sb.mark(input, again);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1', 'marker 2']);
  assert.deepEqual(await sb.show(), {});
  const dropped = (what: string, why: string) =>
    `ERROR state: dropped a ${what} of filter s.f from ${file}: ${why}`;
  for (const line of [
    dropped('count', '"$(id)" is not a value of pattern "ip"'),
    dropped('trigger', '"192.0.2.1; nft flush ruleset" is not a value of pattern "ip"'),
    dropped('trigger', '["192.0.2.3","x"] has 2 value(s), not one per pattern (ip)'),
    dropped('trigger', '7 is not a value of pattern "ip"'),
  ]) {
    assert.equal(again.logLines(line).length, 1, `${line}\n${again.log}`);
  }

  // Dropped from the state file too: the next start has nothing to say about them.
  assert.deepEqual(await again.stop(), { code: 0, signal: null });
  const third = await sb.started(banConfig(sb));
  await sb.mark(input, third);
  assert.deepEqual(third.logLines('state: dropped'), []);
});

test('a value cannot forge a line of the log', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const forged = '2026-01-01T00:00:00.000+00:00 INFO  s.f: trigger 203.0.113.9';
  const daemon = await sb.started({
    ...structConfig(sb, { seen: { cmd: sb.cmd('record', 'actions.log', 'seen') } }),
  });
  input.write(JSON.stringify({ user: `bob\n${forged}\r` }));
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['seen', 'marker 1']);
  assert.deepEqual(daemon.logLines(/^2026-01-01T/), []);
  assert.deepEqual(daemon.logLines('\r'), []);
  const quoted = JSON.stringify(`bob\n${forged}\r`);
  assert.equal(daemon.logLines(`INFO  s.j: match ${quoted}`).length, 1, daemon.log);
  assert.equal(daemon.logLines(`INFO  s.j: trigger ${quoted}`).length, 1, daemon.log);
});

test('a value with a line break is not sent to a virtual stream, where it would make two lines', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const send = { type: 'virtual', options: { send: 'offender <user>', to: 'v' } };
  const config = structConfig(sb, { send });
  const streams = config['streams'] as Config;
  streams['v'] = {
    type: 'virtual',
    filters: {
      repeat: {
        regex: ['^offender <user>$'],
        actions: { seen: { cmd: sb.cmd('record', 'actions.log', 'offender', '<user>') } },
      },
    },
  };
  const daemon = await sb.started(config);
  input.write(JSON.stringify({ user: 'x\noffender admin' }), JSON.stringify({ user: 'carol' }));
  await daemon.waitFile('actions.log', (l) => l.includes('offender carol'));
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['offender carol', 'marker 1']);
  const refused = `ERROR s.j.send: cannot send ${JSON.stringify('offender x\noffender admin')} to v: a value holds a line break`;
  assert.equal(daemon.logLines(refused).length, 1, daemon.log);
  const status = JSON.parse((await sb.cli('status', '-f', 'json')).stdout);
  assert.equal(status.actions.failed, 1);
});

test('start refuses a regex pattern inside the script of sh -c, before running anything', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const f = {
    regex: ['login <user>'],
    actions: { greet: { cmd: ['sh', '-c', 'echo <user> >> "$0"', sb.path('actions.log')] } },
  };
  const daemon = sb.start({
    ...sb.fifoConfig({ f }),
    patterns: { ...PATTERNS, user: { regex: '\\S+' } },
    start: [sb.cmd('record', 'started.log', 'started')],
  });
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.equal(
    daemon.logLines(
      /ERROR config: riposte\.json:\d+:\d+: streams\.s\.filters\.f\.actions\.greet\.cmd\[2\]: <user> is inside the code that "sh -c" runs: a log line chooses the value/,
    ).length,
    1,
    daemon.log,
  );
  assert.deepEqual(sb.lines('started.log'), []);
});

/** Filter `j` of stream `s` reads JSON lines and captures `user` (anything but a comma). */
function structConfig(sb: Sandbox, actions: Config): Config {
  const j = { type: 'struct', options: { fields: { user: { regex: '^<user>$' } } }, actions };
  return { ...sb.fifoConfig({ j }), patterns: { ...PATTERNS, user: { regex: '[^,]+' } } };
}

/** Runs SQL statements on a state file with the SQLite binding riposte uses. */
function sqlite(file: string, statements: readonly string[]): void {
  const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]); for (const s of JSON.parse(process.argv[2])) db.exec(s); db.close();`;
  const r = spawnSync(process.execPath, ['-e', script, file, JSON.stringify(statements)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}
