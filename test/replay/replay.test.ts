// `riposte replay` as an admin runs it: the real CLI in a child process, on log files and
// stdin in a temporary directory, in UTC. The report's JSON shape (docs/replay.md), its
// YAML twin, several inputs in order, missed lines, years of syslog dates, files without
// times, and the errors that stop it before any output.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readYaml } from '../../src/concepts/yaml.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/bundle/main.js');

const CONFIG = `patterns:
  ip: {type: ip, ignorecidr: [10.0.0.0/8]}
streams:
  ssh:
    cmd: [journalctl, -fu, ssh]
    filters:
      failed:
        regex: ['Failed password for \\S+ from <ip> port', 'Invalid user \\S+ from <ip>$']
        retry: 3
        retryperiod: 10m
        time: syslog
        actions:
          ban: {cmd: ['true', ban, <ip>]}
          unban: {cmd: ['true', unban, <ip>], after: 1h}
`;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-replay-'));
  writeFileSync(join(dir, 'c.yml'), CONFIG);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: readonly string[]): string {
  writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  return name;
}

function replay(args: readonly string[], input?: string) {
  const result = spawnSync(process.execPath, [MAIN, 'replay', '-c', 'c.yml', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json(args: readonly string[], input?: string) {
  const run = replay(['-f', 'json', ...args], input);
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const failed = (time: string, ip: string) =>
  `${time} host sshd[7]: Failed password for root from ${ip} port 22 ssh2`;

const AUTH = [
  failed('Jun 10 10:00:00', '192.0.2.1'),
  'Jun 10 10:00:30 host sshd[7]: Invalid user bob from 10.1.1.1',
  failed('Jun 10 10:01:00', '192.0.2.1'),
  'Jun 10 10:01:30 host sshd[7]: Connection closed by 192.0.2.1 port 22',
  failed('Jun 10 10:02:00', '192.0.2.1'),
];

describe('replay prints its report', () => {
  test('replay -f json prints the documented shape, triggers as {filter, time, match}', () => {
    const report = json(['--now', '2024', write('auth.log', AUTH)]);
    assert.deepEqual(Object.keys(report), [
      'input',
      'lines',
      'time',
      'filters',
      'triggers',
      'actions',
      'pending',
    ]);
    assert.deepEqual(report.input, [{ file: 'auth.log', lines: 5 }]);
    assert.deepEqual(report.time, {
      formats: ['syslog'],
      first: '2024-06-10T10:00:00.000+00:00',
      last: '2024-06-10T10:02:00.000+00:00',
      untimed: 0,
      earlier: 0,
    });
    assert.deepEqual(report.filters['ssh.failed'], {
      lines: 5,
      matched: 3,
      ignored: 1,
      missed: 1,
      triggers: 1,
      time: 'syslog',
      regexes: [
        { regex: 'Failed password for \\S+ from <ip> port', matched: 3, ignored: {} },
        {
          regex: 'Invalid user \\S+ from <ip>$',
          matched: 0,
          ignored: { 'patterns.ip.ignorecidr': 1 },
        },
      ],
      values: [{ match: { ip: '192.0.2.1' }, lines: 3 }],
    });
    assert.deepEqual(report.triggers, [
      { filter: 'ssh.failed', time: '2024-06-10T10:02:00.000+00:00', match: { ip: '192.0.2.1' } },
    ]);
    assert.deepEqual(report.actions, [
      {
        filter: 'ssh.failed',
        action: 'ban',
        time: '2024-06-10T10:02:00.000+00:00',
        match: { ip: '192.0.2.1' },
      },
    ]);
    assert.deepEqual(report.pending, [
      {
        filter: 'ssh.failed',
        action: 'unban',
        due: '2024-06-10T11:02:00.000+00:00',
        match: { ip: '192.0.2.1' },
      },
    ]);
  });

  test('replay prints in YAML what -f json prints, and a summary on stderr', () => {
    const file = write('auth.log', AUTH);
    const yaml = replay(['--now', '2024', file]);
    assert.equal(yaml.status, 0, yaml.stderr);
    // Documents are read into null-prototype maps: compared as plain data.
    const read = JSON.parse(JSON.stringify(readYaml('report', yaml.stdout).value));
    assert.deepEqual(read, json(['--now', '2024', file]));
    assert.match(
      yaml.stderr,
      /^5 lines in \d+\.\d\d s\nssh\.failed: 5 lines, 3 matched, 1 ignored, 1 missed, 1 trigger\n$/,
    );
  });

  test('replay --missed lists the lines no regex hit, with their file and line number', () => {
    const report = json(['--now', '2024', '--missed', write('auth.log', AUTH)]);
    assert.deepEqual(report.filters['ssh.failed'].missed_lines, [
      { at: 'auth.log:4', line: AUTH[3] },
    ]);
  });
});

describe('replay reads its input', () => {
  test('replay reads files and stdin ("-") one after the other, as one log', () => {
    const stdin = `${failed('Jun 10 10:01:00', '192.0.2.1')}\n`;
    const report = json(
      [
        '--now',
        '2024',
        write('a.log', [failed('Jun 10 10:00:00', '192.0.2.1')]),
        '-',
        write('b.log', [failed('Jun 10 10:02:00', '192.0.2.1')]),
      ],
      stdin,
    );
    assert.deepEqual(report.input, [
      { file: 'a.log', lines: 1 },
      { file: 'stdin', lines: 1 },
      { file: 'b.log', lines: 1 },
    ]);
    assert.deepEqual(
      report.triggers.map((t: { time: string }) => t.time),
      ['2024-06-10T10:02:00.000+00:00'],
    );
  });

  test('replay reads stdin when no file is given', () => {
    const report = json(['--now', '2024'], `${AUTH.join('\n')}\n`);
    assert.deepEqual(report.input, [{ file: 'stdin', lines: 5 }]);
    assert.equal(report.triggers.length, 1);
  });

  test('replay --now puts the syslog dates of an old log in their year, across the new year', () => {
    const report = json([
      '--now',
      '2025-01-01',
      write('auth.log', [
        failed('Dec 31 23:59:58', '192.0.2.1'),
        failed('Dec 31 23:59:59', '192.0.2.1'),
        failed('Jan  1 00:00:01', '192.0.2.1'),
      ]),
    ]);
    assert.equal(report.time.first, '2024-12-31T23:59:58.000+00:00');
    assert.deepEqual(
      report.triggers.map((t: { time: string }) => t.time),
      ['2025-01-01T00:00:01.000+00:00'],
    );
  });

  test('replay counts the lines of a file without any time at the time it reads them, and says so', () => {
    const lines = [1, 2, 3].map(() => 'Failed password for root from 192.0.2.1 port 22');
    const before = Date.now();
    const run = replay(['-f', 'json', write('plain.log', lines)]);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.time.first, null);
    assert.equal(report.time.untimed, 3);
    const time = Date.parse(report.triggers[0].time);
    assert.ok(time >= before - 1000 && time <= Date.now(), report.triggers[0].time);
    assert.match(
      run.stderr,
      /warning: no line has a time in the format syslog: every line was counted at the time it was read/,
    );
  });
});

describe('replay errors', () => {
  const rows = [
    {
      name: 'an unknown filter, with the closest name',
      args: ['-l', 'ssh.faild', 'x.log'],
      stderr: 'riposte: -l ssh.faild: no filter "faild" in stream "ssh", did you mean "failed"?\n',
    },
    {
      name: 'an unknown stream',
      args: ['-l', 'web', 'x.log'],
      stderr: 'riposte: -l web: no stream "web"; the configuration has ssh\n',
    },
    {
      name: 'a missing file',
      args: ['x.log', 'missing.log'],
      stderr: 'riposte: cannot read missing.log: no such file or directory\n',
    },
    {
      name: 'a --now that is no time',
      args: ['--now', 'yesterday', 'x.log'],
      stderr: 'riposte: --now yesterday: expected YYYY, YYYY-MM-DD or an ISO 8601 time\n',
    },
  ];
  for (const row of rows) {
    test(`replay stops at ${row.name} before printing anything, exit status 1`, () => {
      write('x.log', AUTH);
      assert.deepEqual(replay(row.args), { status: 1, stdout: '', stderr: row.stderr });
    });
  }
});
