// Black-box tests of `type: file` streams (issue: nothing lost while riposte is down): the
// real daemon follows a log file of its sandbox; it is killed with SIGKILL or stopped, lines
// are written (and the file rotated) while it is down, and once started again it counts
// them, each once, at their own time, and bans as it would have had it been running.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  type Config,
  DEADLINE,
  type Daemon,
  MAIN,
  type Sandbox,
  sandbox,
  sleep,
} from '../daemon/harness.js';
import { banConfig, streamStatus } from './config.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A syslog line as sshd writes it through rsyslog, at `time` (local time). */
function syslog(time: number, text: string): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, ' ');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${MONTHS[d.getMonth()]} ${day} ${clock} host sshd[42]: ${text}`;
}

function config(sb: Sandbox, extra: Config = {}): Config {
  return banConfig(sb, 'auth', { type: 'file', options: { path: sb.path('auth.log'), ...extra } });
}

class Log {
  readonly #path: string;
  #markers = 0;
  constructor(path: string) {
    this.#path = path;
    writeFileSync(path, '');
  }
  write(...lines: string[]): void {
    appendFileSync(this.#path, lines.map((l) => `${l}\n`).join(''));
  }
  fail(ip: string, time = Date.now()): void {
    this.write(syslog(time, `fail from ${ip}`));
  }
  /** Writes a marker and waits until its action recorded it: every line before is counted. */
  async mark(daemon: Daemon): Promise<void> {
    const n = ++this.#markers;
    this.write(`marker ${n}`);
    await daemon.waitFile('actions.log', (lines) => lines.includes(`marker ${n}`));
  }
}

for (const down of ['crash', 'stop'] as const) {
  test(`file stream: failures written while riposte is down (${down}) are counted once at restart, and ban`, async (t) => {
    const sb = sandbox(t);
    const log = new Log(sb.path('auth.log'));
    const cfg = config(sb);
    const first = await sb.started(cfg);
    log.fail('192.0.2.1');
    log.fail('192.0.2.1');
    await log.mark(first);
    await sb.settle(first);
    if (down === 'crash') await first.crash();
    else await first.stop();
    // Read again, these two would ban with one more: they must not be.
    const second = await sb.started(cfg);
    await log.mark(second);
    assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'marker 2']);
    await sb.settle(second);
    if (down === 'crash') await second.crash();
    else await second.stop();
    log.fail('192.0.2.1');
    const third = await sb.started(cfg);
    await third.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.1'));
    await log.mark(third);
    assert.deepEqual(sb.lines('actions.log'), [
      'marker 1',
      'marker 2',
      'ban 192.0.2.1',
      'marker 3',
    ]);
    const auth = (await streamStatus(sb))['auth']!;
    assert.equal(auth['caughtUp'], 1);
    assert.equal(auth['state'], 'running');
  });
}

test('file stream: a rotation while riposte is down loses nothing (the end of auth.log.1, then the new file)', async (t) => {
  const sb = sandbox(t);
  const log = new Log(sb.path('auth.log'));
  const cfg = config(sb);
  const first = await sb.started(cfg);
  log.fail('192.0.2.7');
  await log.mark(first);
  await sb.settle(first);
  await first.crash();
  log.fail('192.0.2.7');
  renameSync(sb.path('auth.log'), sb.path('auth.log.1'));
  const fresh = new Log(sb.path('auth.log'));
  fresh.fail('192.0.2.7');
  const second = await sb.started(cfg);
  await second.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.7'));
  assert.match(second.log, /rotated/);
});

test('file stream: failures older than retryperiod, read on resume, do not count', async (t) => {
  const sb = sandbox(t);
  const log = new Log(sb.path('auth.log'));
  const cfg = config(sb);
  const first = await sb.started(cfg);
  await log.mark(first);
  await sb.settle(first);
  await first.crash();
  const old = Date.now() - 2 * 3_600_000;
  for (let i = 0; i < 5; i++) log.fail('192.0.2.9', old + i * 1000);
  const second = await sb.started(cfg);
  // The five are read before the marker is written: read in one chunk with them, on a slow
  // machine, the marker would be caught up too.
  const end = Date.now() + DEADLINE;
  while ((await streamStatus(sb))['auth']?.['caughtUp'] !== 5) {
    assert.ok(Date.now() < end, 'the five lines written while down are not read');
    await sleep(50);
  }
  await log.mark(second);
  assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'marker 2']);
  const auth = (await streamStatus(sb))['auth']!;
  assert.equal(auth['caughtUp'], 5);
  // Recent ones still count: three within the hour ban.
  for (let i = 0; i < 3; i++) log.fail('192.0.2.9');
  await second.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.9'));
});

test('file stream: a missing file is reported at start, and read from its start once it appears', async (t) => {
  const sb = sandbox(t);
  const cfg = config(sb);
  const r = spawnSync(process.execPath, [MAIN, 'test-config', '-c', sb.writeConfig(cfg)], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /auth\.log" does not exist/);
  const daemon = await sb.started(cfg);
  assert.match(daemon.log, /auth\.log" does not exist/);
  const log = new Log(sb.path('auth.log'));
  log.fail('192.0.2.3');
  log.fail('192.0.2.3');
  log.fail('192.0.2.3');
  await daemon.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.3'));
});

test('file stream: a trigger caught up whose unban is already past applies no ban', async (t) => {
  const sb = sandbox(t);
  const log = new Log(sb.path('auth.log'));
  const cfg = config(sb);
  const streams = cfg['streams'] as Record<string, { filters: Record<string, unknown> }>;
  streams['auth']!.filters['short'] = {
    regex: ['short from <ip>'],
    retry: 1,
    actions: {
      ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
      unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '5s' },
    },
  };
  const first = await sb.started(cfg);
  await log.mark(first);
  await sb.settle(first);
  await first.crash();
  log.write(syslog(Date.now() - 60_000, 'short from 192.0.2.5'));
  log.write(syslog(Date.now() - 2000, 'short from 192.0.2.6'));
  const second = await sb.started(cfg);
  await log.mark(second);
  await second.waitLog(/auth\.short: trigger 192\.0\.2\.5 at \S+ is over already: nothing to run/);
  // The recent one is not over: banned now, unbanned on time.
  await second.waitFile('actions.log', (lines) => lines.includes('unban 192.0.2.6'));
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban 192.0.2.6', 'unban 192.0.2.6'],
  );
});
