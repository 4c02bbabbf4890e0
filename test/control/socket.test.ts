// Black-box tests of the control socket (behaviour §3, §4): its mode, garbage from clients,
// many clients at once, a stale socket after a crash, and a live one never taken over.

import assert from 'node:assert/strict';
import { lstatSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { sandbox } from '../daemon/harness.js';
import { config, exchange, populate, running } from './clients.js';

const SHOW = '{"v":1,"type":"show","selectors":[]}\n';

/** The error reply of the daemon, as one line. */
function refusal(error: string): string {
  return `${JSON.stringify({ v: 1, ok: false, error })}\n`;
}

test('the socket is created with mode 0600', async (t) => {
  const { sb } = await running(t);
  const info = lstatSync(sb.socket);
  assert.ok(info.isSocket());
  assert.equal(info.mode & 0o777, 0o600);
});

test('garbage on the socket gets an error reply, and the daemon goes on answering', async (t) => {
  const { sb, daemon } = await running(t);
  const unsupported = (v: string) =>
    `unsupported protocol version ${v}: this daemon speaks version 1; use the riposte client of the same version`;
  const cases: [
    what: string,
    data: string | Buffer,
    then: 'end' | 'destroy' | 'keep',
    reply: string,
  ][] = [
    ['not JSON', 'hello\n', 'end', refusal('malformed request: not JSON')],
    ['binary', Buffer.from([0xff, 0xfe, 0, 1, 10]), 'end', refusal('malformed request: not JSON')],
    ['not an object', '[1,2]\n', 'end', refusal('malformed request: not a JSON object')],
    ['a wrong version', '{"v":2,"type":"show"}\n', 'end', refusal(unsupported('2'))],
    ['no version', '{"type":"show"}\n', 'end', refusal(unsupported('none'))],
    [
      'an unknown type',
      '{"v":1,"type":"banish"}\n',
      'end',
      refusal(
        'unknown request type "banish": expected show, flush, trigger, status, reload, ban, unban or why',
      ),
    ],
    [
      'a field of the wrong type',
      '{"v":1,"type":"trigger","stream":"s","filter":"failed","values":{"ip":1}}\n',
      'end',
      refusal('malformed request: "values.ip" must be a string'),
    ],
    [
      'half a line, then the end of the input',
      '{"v":1,"type":"sh',
      'end',
      refusal('incomplete request: the connection ended before a newline'),
    ],
    ['half a line, then a close', '{"v":1,"type":"sh', 'destroy', ''],
    [
      'a megabyte without a newline',
      'x'.repeat(1 << 20),
      'keep',
      refusal('request longer than 65536 bytes without a newline: closing'),
    ],
    [
      'garbage, then a request on the same connection',
      `nope\n${SHOW}`,
      'end',
      `${refusal('malformed request: not JSON')}{"v":1,"ok":true,"report":[],"down":[]}\n`,
    ],
  ];
  for (const [what, data, then, reply] of cases) {
    assert.equal(await exchange(sb.socket, data, then), reply, what);
  }
  assert.ok(daemon.running);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
});

test('100 clients at once each get their whole answer', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const { unban, warn } = await populate(sb, fifo, daemon);
  const one = (await exchange(sb.socket, SHOW, 'end')).trim();
  assert.match(one, /^\{"v":1,"ok":true,"report":\[/);
  const answers = await Promise.all(
    Array.from({ length: 100 }, () => exchange(sb.socket, SHOW, 'end')),
  );
  for (const answer of answers) assert.equal(answer, `${one}\n`);
  // And through the CLI, a few processes at once.
  const clis = await Promise.all(Array.from({ length: 8 }, () => sb.cli('show', '-f', 'json')));
  for (const r of clis) {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).s.failed['192.0.2.1'].actions.unban, [unban]);
    assert.deepEqual(JSON.parse(r.stdout).s.login['user=eve ip=192.0.2.4'].actions.warn, [warn]);
  }
});

test('a stale socket left by a killed daemon is replaced at the next start', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  await daemon.crash();
  assert.ok(lstatSync(sb.socket).isSocket());
  assert.deepEqual(await sb.cli('show'), {
    code: 1,
    stdout: '',
    stderr: `riposte: cannot reach the daemon at ${sb.socket}: is it running? (give its socket with -s)\n`,
  });
  const again = await sb.started(config(sb, fifo));
  await again.waitLog(
    `INFO  control: removed the stale socket ${sb.socket} left by a daemon that did not stop cleanly`,
  );
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  assert.equal(lstatSync(sb.socket).mode & 0o777, 0o600);
});

test('a second daemon on a live socket refuses to start, and the first goes on', async (t) => {
  const { sb, fifo, daemon } = await running(t);
  const second = sb.start(config(sb, fifo));
  assert.deepEqual(await second.waitExit(), { code: 1, signal: null });
  assert.match(
    second.log,
    new RegExp(
      `ERROR cannot listen on ${sb.socket}: another riposte daemon is running there \\(stop it, or give this one another socket with -s\\)\n$`,
    ),
  );
  assert.ok(daemon.running);
  assert.deepEqual(await sb.cli('show'), { code: 0, stdout: '{}\n', stderr: '' });
  // Stopping the first removes its socket.
  await daemon.stop();
  assert.throws(() => lstatSync(sb.socket), { code: 'ENOENT' });
});

test('a file that is not a socket at the socket path is left alone', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  writeFileSync(sb.socket, 'precious\n');
  const daemon = sb.start(config(sb, fifo));
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.match(
    daemon.log,
    new RegExp(
      `ERROR cannot listen on ${sb.socket}: a file that is not a socket is there; move it away\n$`,
    ),
  );
  assert.deepEqual(sb.lines('riposte.sock'), ['precious']);
});
