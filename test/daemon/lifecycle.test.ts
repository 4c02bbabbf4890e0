// Black-box tests of start-up and shutdown (behaviour §1.3 start/stop, §2.7): the `start`
// and `stop` commands, onexit actions, exit statuses, and signals.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  alive,
  type Config,
  inTime,
  PATTERNS,
  patiently,
  type Sandbox,
  sandbox,
  sleepUntil,
  until,
} from './harness.js';

/** A stream that records "stream" when it starts, then reads in.fifo; filter f and the marker filter. */
function config(sb: Sandbox, actions: Config, extra: Config = {}): Config {
  sb.script('stream', `printf "stream\\n" >> "${sb.path('actions.log')}"\nexec cat "$1"`);
  return {
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      s: {
        cmd: [sb.path('stream'), sb.path('in.fifo')],
        filters: {
          f: { regex: ['fail from <ip>'], actions },
          marker: sb.markerFilter(),
        },
      },
    },
    ...extra,
  };
}

const BAN = (sb: Sandbox): Config => ({ cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') });

test('the start commands run one after the other before any stream starts', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    config(
      sb,
      { ban: BAN(sb) },
      {
        start: [sb.cmd('slow', 'actions.log', 'start0'), sb.cmd('record', 'actions.log', 'start1')],
      },
    ),
  );
  await sb.mark(input, daemon);
  assert.deepEqual(
    sb.lines('actions.log').map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['start start0', 'end start0', 'start1', 'stream', 'marker 1'],
  );
});

test('a failing start command aborts start-up after running the stop commands; exit status 1', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const failing = sb.cmd('fail', 'actions.log', 'start1');
  const daemon = sb.start(
    config(
      sb,
      { ban: BAN(sb) },
      {
        start: [
          sb.cmd('record', 'actions.log', 'start0'),
          failing,
          sb.cmd('record', 'actions.log', 'start2'),
        ],
        stop: [sb.cmd('record', 'actions.log', 'stop0')],
      },
    ),
  );
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.deepEqual(sb.lines('actions.log'), ['start0', 'start1', 'stop0']);
  const argv = JSON.stringify(failing);
  assert.match(
    daemon.log,
    new RegExp(
      `ERROR start\\[1\\]: ${escapeRegex(argv)} failed: exit status 3; stderr: boom start1\n`,
    ),
  );
  assert.match(
    daemon.log,
    new RegExp(
      `ERROR cannot start: start\\[1\\] ${escapeRegex(argv)} failed; running the stop commands\n`,
    ),
  );
  assert.equal(existsSync(sb.socket), false, 'the socket is removed');
});

test('SIGTERM runs the onexit actions, then the stop commands, and exits 0; other pending actions wait for a restart', async (t) => {
  await patiently(t, 3000, async (sb, delay) => {
    const input = sb.fifo();
    const cfg = config(
      sb,
      {
        ban: BAN(sb),
        unban: {
          cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'),
          after: `${delay}ms`,
          onexit: true,
        },
        later: { cmd: sb.cmd('record', 'actions.log', 'later', '<ip>'), after: `${2 * delay}ms` },
      },
      { stop: [sb.cmd('record', 'actions.log', 'stop0')] },
    );
    const daemon = await sb.started(cfg);
    const start = Date.now();
    input.write('fail from 192.0.2.1');
    await sb.mark(input, daemon);
    const due = (await sb.show())['s']?.['f']?.['192.0.2.1']?.actions?.['later']?.[0];
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
    inTime(start, delay);
    assert.ok(due !== undefined);
    assert.deepEqual(sb.lines('actions.log'), [
      'stream',
      'ban 192.0.2.1',
      'marker 1',
      'unban 192.0.2.1',
      'stop0',
    ]);
    assert.match(daemon.log, /INFO {2}stopped \(exit status 0\)\n$/);
    assert.equal(existsSync(sb.socket), false, 'the socket is removed');
    // "later" fell due while riposte was down: it runs once at start-up; the unban already
    // ran at shutdown, so the ban is not applied again, and the unban does not run again.
    await sleepUntil(due + 100);
    const again = await sb.started(cfg);
    await sb.mark(input, again);
    // The overdue action and the stream start together: their order in the file is free.
    assert.deepEqual(sb.lines('actions.log').slice(5).sort(), [
      'later 192.0.2.1',
      'marker 2',
      'stream',
    ]);
    assert.deepEqual(await sb.show(), {});
  });
});

test('a stop command that fails makes the exit status 1', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const failing = sb.cmd('fail', 'actions.log', 'stop0');
  const daemon = await sb.started(
    config(sb, { ban: BAN(sb) }, { stop: [failing, sb.cmd('record', 'actions.log', 'stop1')] }),
  );
  assert.deepEqual(await daemon.stop(), { code: 1, signal: null });
  assert.deepEqual(sb.lines('actions.log'), ['stream', 'stop0', 'stop1']);
  assert.ok(
    daemon.log.includes(
      `ERROR stop[0]: ${JSON.stringify(failing)} failed: exit status 3; stderr: boom stop0\n`,
    ),
  );
  assert.match(daemon.log, /INFO {2}stopped \(exit status 1\)\n$/);
});

test('at shutdown, a stream that ignores SIGTERM is killed with SIGKILL', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  sb.script('stubborn', `trap '' TERM\necho "$$" >> "${sb.path('stream.pid')}"\nexec cat "$1"`);
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      s: { cmd: [sb.path('stubborn'), input.path], filters: { marker: sb.markerFilter() } },
    },
  });
  await sb.mark(input, daemon);
  const pid = Number(sb.lines('stream.pid')[0]);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  assert.equal(alive(pid), false);
});

test('a second signal exits at once', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(
    config(sb, { ban: BAN(sb) }, { stop: [sb.cmd('hang', 'actions.log', 'stop0')] }),
  );
  daemon.signal('SIGTERM');
  await daemon.waitFile('actions.log', (l) => l.some((x) => x.startsWith('stop0')));
  daemon.signal('SIGINT');
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.match(daemon.log, /WARN {2}SIGINT received again: exiting now\n/);
  // It does not leave its stop command behind.
  const pid = Number(sb.lines('actions.log')[1]!.split(' ')[1]);
  await until(`the stop command (pid ${pid}) to be killed`, daemon, () =>
    alive(pid) ? undefined : true,
  );
});

test('a signal during the start commands stops start-up: no stream starts, the stop commands run', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = sb.start(
    config(
      sb,
      { ban: BAN(sb) },
      {
        start: [sb.cmd('wait-for', 'actions.log', 'start0', sb.path('go'))],
        stop: [sb.cmd('record', 'actions.log', 'stop0')],
      },
    ),
  );
  await daemon.waitFile('actions.log', 1);
  daemon.signal('SIGTERM');
  await daemon.waitLog('SIGTERM received: shutting down');
  writeFileSync(sb.path('go'), '');
  assert.deepEqual(await daemon.waitExit(), { code: 0, signal: null });
  assert.deepEqual(sb.lines('actions.log'), ['start0', 'start0 done', 'stop0']);
  assert.equal(daemon.logLines('stream s: started').length, 0);
});

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the start line names the absolute path of the state file, in the working directory by default', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(config(sb, { ban: BAN(sb) }, { state_directory: '.' }));
  assert.match(daemon.log, new RegExp(`; state ${sb.path('riposte.db')}\n`));
  assert.ok(existsSync(sb.path('riposte.db')));
});

test("a configuration declaring reaction's plugins starts, and one INFO line says riposte stands for them", async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const plugins = { virtual: { path: '/usr/bin/reaction-plugin-virtual', systemd: false } };
  const daemon = await sb.started(config(sb, { ban: BAN(sb) }, { plugins }));
  assert.deepEqual(daemon.logLines('plugins: ').length, 1);
  assert.match(
    daemon.log,
    /INFO {2}plugins: virtual \(the stream and action type "virtual"\) run built into riposte; the plugin programs are not started\n/,
  );
});
