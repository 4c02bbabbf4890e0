// Black-box tests of `type: journal` streams (issue: nothing lost while riposte is down):
// the real daemon reads journal files of its sandbox, written by systemd-journal-remote as
// journald would; it is killed with SIGKILL or stopped, entries are written while it is
// down, and once started again it counts them, each once, at their own time, and bans.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import {
  journalToolsMissing,
  type TestEntry,
  writeJournal,
} from '../../src/daemon/sources/journal-files.js';
import { type Config, type Daemon, MAIN, type Sandbox, sandbox } from '../daemon/harness.js';
import { banConfig, streamStatus } from './config.js';

const absent = journalToolsMissing();
// .ci/run installs them: under CI=true their absence fails rather than skip unseen.
if (absent !== undefined && process.env['CI'] === 'true') throw new Error(absent);
const skip = absent ?? false;

function config(sb: Sandbox, extra: Config = {}): Config {
  return banConfig(sb, 'ssh', {
    type: 'journal',
    options: { directory: sb.path('journal'), units: ['ssh.service'], ...extra },
  });
}

class Journal {
  readonly #dir: string;
  #markers = 0;
  constructor(dir: string) {
    this.#dir = dir;
  }
  async write(...entries: TestEntry[]): Promise<void> {
    mkdirSync(this.#dir, { recursive: true });
    await writeJournal(this.#dir, entries);
  }
  fail(ip: string, time = Date.now(), unit = 'ssh.service'): Promise<void> {
    return this.write({ message: `fail from ${ip}`, unit, identifier: 'sshd', pid: 42, time });
  }
  /** Writes a marker entry and waits until its action recorded it. */
  async mark(daemon: Daemon): Promise<void> {
    const n = ++this.#markers;
    this.write({
      message: `marker ${n}`,
      unit: 'ssh.service',
      identifier: 'sshd',
      pid: 42,
      time: Date.now(),
    });
    await daemon.waitFile('actions.log', (lines) => lines.includes(`marker ${n}`));
  }
}

for (const down of ['crash', 'stop'] as const) {
  test(`journal stream: failures logged while riposte is down (${down}) are counted once at restart, and ban`, {
    skip,
  }, async (t) => {
    const sb = sandbox(t);
    const journal = new Journal(sb.path('journal'));
    await journal.fail('192.0.2.50');
    const cfg = config(sb);
    const first = await sb.started(cfg);
    // No cursor yet: what the journal held before is not counted.
    await journal.fail('192.0.2.1');
    await journal.fail('192.0.2.1');
    await journal.fail('192.0.2.1', Date.now(), 'cron.service');
    await journal.mark(first);
    await sb.settle(first);
    if (down === 'crash') await first.crash();
    else await first.stop();
    const second = await sb.started(cfg);
    await journal.mark(second);
    assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'marker 2']);
    await sb.settle(second);
    if (down === 'crash') await second.crash();
    else await second.stop();
    await journal.fail('192.0.2.1');
    const third = await sb.started(cfg);
    await third.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.1'));
    await journal.mark(third);
    assert.deepEqual(sb.lines('actions.log'), [
      'marker 1',
      'marker 2',
      'ban 192.0.2.1',
      'marker 3',
    ]);
    const ssh = (await streamStatus(sb))['ssh']!;
    assert.equal(ssh['caughtUp'], 1);
  });
}

test('journal stream: entries older than retryperiod, read on resume, do not count', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const journal = new Journal(sb.path('journal'));
  const cfg = config(sb);
  const first = await sb.started(cfg);
  await journal.mark(first);
  await sb.settle(first);
  await first.crash();
  // Entries are appended in time order, as journald writes them: older ones, then recent ones.
  const old = Date.now() - 90 * 60_000;
  for (let i = 0; i < 4; i++) await journal.fail('192.0.2.9', old + i * 1000);
  const second = await sb.started(cfg);
  await journal.mark(second);
  assert.deepEqual(sb.lines('actions.log'), ['marker 1', 'marker 2']);
  for (let i = 0; i < 3; i++) await journal.fail('192.0.2.9');
  await second.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.9'));
});

test('journal stream: a vacuumed journal whose cursor is gone is said so, and read within the bound', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const journal = new Journal(sb.path('journal'));
  const cfg = config(sb);
  const first = await sb.started(cfg);
  await journal.mark(first);
  await sb.settle(first);
  await first.crash();
  rmSync(sb.path('journal'), { recursive: true, force: true });
  for (let i = 0; i < 3; i++) await journal.fail('192.0.2.4');
  const second = await sb.started(cfg);
  await second.waitLog(/no longer holds/);
  await second.waitFile('actions.log', (lines) => lines.includes('ban 192.0.2.4'));
});

test("journal stream: a unit with no entry is warned about; journalctl's stderr is seen", {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const journal = new Journal(sb.path('journal'));
  await journal.fail('192.0.2.1');
  const daemon = await sb.started(config(sb, { units: ['ssh.servic'] }));
  await daemon.waitLog(/unit ssh\.servic has no entry in the journal/);
  // A journal directory that is not there: journalctl's complaint is seen, and its exits.
  const empty = sandbox(t);
  const quiet = await empty.started(config(empty));
  await quiet.waitLog(
    /WARN +stream ssh: stderr: Failed to open .*journal: No such file or directory/,
  );
  await quiet.waitLog(
    /ERROR +stream ssh: .*died \(exit status 1\); last stderr line: Failed to open/,
  );
});

test('test-config asks the journal about each unit, identifier and match of a journal stream', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const journal = new Journal(sb.path('journal'));
  await journal.fail('192.0.2.1');
  await journal.write({ message: 'oops', time: Date.now(), fields: { _TRANSPORT: 'kernel' } });
  const cfg = config(sb, {
    units: ['ssh.service', 'ssh.servic'],
    identifiers: ['sshd', 'nginx'],
    matches: ['_TRANSPORT=kernel', '_TRANSPORT=audit'],
  });
  const r = spawnSync(process.execPath, [MAIN, 'test-config', '-c', sb.writeConfig(cfg)], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const where = `-D ${sb.path('journal')}`;
  assert.deepEqual(r.stderr.split('\n').filter(Boolean), [
    `warning: streams.ssh.options.units[1]: unit ssh.servic has no entry in the journal: is its name right? (journalctl ${where} -u ssh.servic -n 1 finds none)`,
    `warning: streams.ssh.options.identifiers[1]: identifier nginx has no entry in the journal: is its name right? (journalctl ${where} -t nginx -n 1 finds none)`,
    `warning: streams.ssh.options.matches[1]: match _TRANSPORT=audit has no entry in the journal: is its name right? (journalctl ${where} _TRANSPORT=audit -n 1 finds none)`,
  ]);
});
