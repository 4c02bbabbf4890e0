// replayFiles() in this process, on log files written to a temporary directory: counting
// and scheduling by the lines' own times (the retry window at its boundary, the duplicates
// rules with delayed actions, virtual escalation), the ignore rules named in the report,
// and the time each line is counted at, whether the filters look at every line or only at
// the lines holding their literals.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../concepts/config.js';
import { readYaml } from '../concepts/yaml.js';
import { configureLog } from '../lib/log.js';
import { printReport, type ReplayReport } from './replay/report.js';
import { replayFiles, selectFilters } from './replay.js';

// Times are printed in UTC, so that the expected timelines read as written.
process.env['TZ'] = 'UTC';
configureLog({ level: 'ERROR' });

/** The reference that the syslog dates (June 10) of these tests are read from. */
const REFERENCE = Date.UTC(2024, 5, 15, 12);

/** A configuration of one stream `s` with these filters, and patterns `ip` and `user`. */
function configOf(filters: object, streams: object = {}): object {
  return {
    patterns: {
      ip: { type: 'ip', ignore: ['127.0.0.1'], ignorecidr: ['10.0.0.0/8'] },
      user: { regex: '[a-z]+', ignoreregex: ['adm.*'] },
    },
    streams: { s: { cmd: ['true'], filters }, ...streams },
  };
}

/** Replays `logs` (file name → lines), in order, with `config`. */
async function replayOf(
  config: object,
  logs: Readonly<Record<string, readonly string[]>>,
  options: { missed?: boolean } = {},
): Promise<ReplayReport> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-replay-'));
  try {
    writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
    const files = Object.entries(logs).map(([name, lines]) => {
      writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
      return join(dir, name);
    });
    const loaded = await loadConfig(join(dir, 'c.json'));
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.message).join('\n'));
    const done = await replayFiles(loaded.config, {
      filters: selectFilters(loaded.config, undefined),
      missed: options.missed ?? false,
      reference: REFERENCE,
      files,
    });
    return done.report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "10:02:00" of a time of 2024-06-10, else the date too. */
function clock(iso: unknown): string {
  const text = String(iso);
  return text.startsWith('2024-06-10T') ? text.slice(11, 19) : text.slice(0, 19);
}

function valuesOf(match: unknown): string {
  return Object.values(match as Record<string, string>).join(' ');
}

/** Each trigger as "10:02:00 s.f 1.2.3.4", with " (extend)" when it met pending actions. */
function triggersOf(report: ReplayReport): string[] {
  return report.triggers.map((t) => {
    const rule = t['duplicates'] === undefined ? '' : ` (${t['duplicates']})`;
    return `${clock(t['time'])} ${t['filter']} ${valuesOf(t['match'])}${rule}`;
  });
}

/** Each action run as "10:02:00 ban 1.2.3.4". */
function actionsOf(report: ReplayReport): string[] {
  return report.actions.map((a) => `${clock(a['time'])} ${a['action']} ${valuesOf(a['match'])}`);
}

/** Each action still pending after the last line as "11:02:00 unban 1.2.3.4". */
function pendingOf(report: ReplayReport): string[] {
  return report.pending.map((a) => `${clock(a['due'])} ${a['action']} ${valuesOf(a['match'])}`);
}

/** An sshd failure line of June 10 at `time` (none when it is empty) from `ip`. */
function failure(time: string, ip: string, user = 'root'): string {
  const stamp = time === '' ? '' : `Jun 10 ${time} `;
  return `${stamp}host sshd[1]: Failed password for ${user} from ${ip} port 22 ssh2`;
}

/** A line of June 10 at `time` that no filter of these tests matches. */
function other(time: string): string {
  return `Jun 10 ${time} host sshd[1]: Connection closed by 192.0.2.1 port 22`;
}

const FAILED = { regex: ['Failed password for <user> from <ip> port'] };
const BAN_UNBAN = {
  ban: { cmd: ['ban', '<ip>'] },
  unban: { cmd: ['unban', '<ip>'], after: '1h' },
};

describe('replayFiles() counts by the lines’ own times', () => {
  test('replayFiles() triggers on the retry-th match within retryperiod, not at retryperiod exactly', async () => {
    const config = configOf({
      f: { ...FAILED, retry: 3, retryperiod: '6h', actions: { ban: { cmd: ['ban', '<ip>'] } } },
    });
    const report = await replayOf(config, {
      'auth.log': [
        failure('00:00:00', '192.0.2.1'),
        failure('00:00:00', '192.0.2.2'),
        failure('03:00:00', '192.0.2.1'),
        failure('03:00:00', '192.0.2.2'),
        failure('05:59:59', '192.0.2.1'),
        // 6 hours after its first failure: that one is out of the window.
        failure('06:00:00', '192.0.2.2'),
        failure('06:00:01', '192.0.2.2'),
      ],
    });
    assert.deepEqual(triggersOf(report), [
      '05:59:59 s.f root 192.0.2.1',
      '06:00:01 s.f root 192.0.2.2',
    ]);
  });

  const duplicates = [
    {
      rule: 'extend',
      triggers: ['10:00:00', '10:30:00 (extend)', '12:00:00'],
      actions: ['10:00:00 ban', '11:30:00 unban', '12:00:00 ban'],
    },
    {
      rule: 'ignore',
      triggers: ['10:00:00', '10:30:00 (ignore)', '12:00:00'],
      actions: ['10:00:00 ban', '11:00:00 unban', '12:00:00 ban'],
    },
    {
      rule: 'rerun',
      triggers: ['10:00:00', '10:30:00 (rerun)', '12:00:00'],
      actions: ['10:00:00 ban', '10:30:00 ban', '11:00:00 unban', '11:30:00 unban', '12:00:00 ban'],
    },
  ];
  for (const row of duplicates) {
    test(`replayFiles() under duplicates "${row.rule}" runs the delayed actions at the log's times`, async () => {
      const config = configOf({ f: { ...FAILED, duplicates: row.rule, actions: BAN_UNBAN } });
      const lines = ['10:00:00', '10:30:00', '12:00:00'].map((t) => failure(t, '192.0.2.1'));
      const report = await replayOf(config, { 'auth.log': lines });
      const [first, second, third] = row.triggers;
      assert.deepEqual(
        triggersOf(report),
        [first, second, third].map((t) => {
          const [time, rule] = (t ?? '').split(' ');
          return `${time} s.f root 192.0.2.1${rule === undefined ? '' : ` ${rule}`}`;
        }),
      );
      assert.deepEqual(
        actionsOf(report),
        row.actions.map((a) => `${a} root 192.0.2.1`),
      );
      assert.deepEqual(pendingOf(report), ['13:00:00 unban root 192.0.2.1']);
    });
  }

  test('replayFiles() feeds a virtual action’s line to its stream’s filters at the trigger’s time', async () => {
    const config = configOf(
      {
        f: {
          ...FAILED,
          actions: { ...BAN_UNBAN, again: { type: 'virtual', options: { send: '<ip>', to: 'r' } } },
        },
      },
      {
        r: {
          type: 'virtual',
          filters: {
            g: {
              regex: ['^<ip>$'],
              retry: 2,
              retryperiod: '1d',
              actions: { long: { cmd: ['ban', '<ip>'] } },
            },
          },
        },
      },
    );
    const lines = ['10:00:00', '12:00:00'].map((t) => failure(t, '192.0.2.1'));
    const report = await replayOf(config, { 'auth.log': lines });
    assert.deepEqual(triggersOf(report), [
      '10:00:00 s.f root 192.0.2.1',
      '12:00:00 s.f root 192.0.2.1',
      '12:00:00 r.g 192.0.2.1',
    ]);
    assert.equal(report.filters['r.g']?.['lines'], 2);
    assert.deepEqual(actionsOf(report).at(-1), '12:00:00 long 192.0.2.1');
  });
});

describe('replayFiles() reports per regex', () => {
  test('replayFiles() names the rule of each ignored value, and counts the line with the next regex', async () => {
    const config = configOf({
      f: {
        regex: ['Failed password for <user> from <ip> port', 'user <user> from <ip>'],
        actions: { ban: { cmd: ['ban', '<ip>'] } },
      },
    });
    const report = await replayOf(config, {
      'auth.log': [
        failure('10:00:00', '10.1.2.3'),
        failure('10:00:01', '127.0.0.1'),
        failure('10:00:02', '192.0.2.1', 'admin'),
        `${failure('10:00:03', '127.0.0.1')} for user bob from 192.0.2.9`,
        failure('10:00:04', '192.0.2.1'),
        failure('10:00:05', '192.0.2.1'),
        other('10:00:06'),
      ],
    });
    const f = report.filters['s.f']!;
    assert.deepEqual(
      { lines: f['lines'], matched: f['matched'], ignored: f['ignored'], missed: f['missed'] },
      { lines: 7, matched: 3, ignored: 3, missed: 1 },
    );
    assert.deepEqual(f['regexes'], [
      {
        regex: 'Failed password for <user> from <ip> port',
        matched: 2,
        ignored: {
          'patterns.ip.ignorecidr': 1,
          'patterns.ip.ignore: 127.0.0.1': 2,
          'patterns.user.ignoreregex[0]': 1,
        },
      },
      { regex: 'user <user> from <ip>', matched: 1, ignored: {} },
    ]);
    assert.deepEqual(f['values'], [
      { match: { user: 'root', ip: '192.0.2.1' }, lines: 2 },
      { match: { user: 'bob', ip: '192.0.2.9' }, lines: 1 },
    ]);
  });
});

describe('replayFiles() gives each line a time', () => {
  const config = configOf({ f: { ...FAILED, actions: { ban: { cmd: ['ban', '<ip>'] } } } });

  test('replayFiles() counts a line without a time at the time of the line before it', async () => {
    const report = await replayOf(config, {
      'auth.log': [other('10:00:00'), failure('', '192.0.2.1'), other('10:05:00')],
    });
    assert.deepEqual(triggersOf(report), ['10:00:00 s.f root 192.0.2.1']);
    assert.equal(report.time.untimed, 1);
  });

  test('replayFiles() counts the lines before the first line with a time at its time', async () => {
    const report = await replayOf(config, {
      'auth.log': [failure('', '192.0.2.1'), failure('', '192.0.2.2'), other('10:00:00')],
    });
    assert.deepEqual(triggersOf(report), [
      '10:00:00 s.f root 192.0.2.1',
      '10:00:00 s.f root 192.0.2.2',
    ]);
    assert.equal(report.time.first, '2024-06-10T10:00:00.000+00:00');
  });

  test('replayFiles() counts a line whose time goes back at the time already reached', async () => {
    const report = await replayOf(config, {
      'auth.log': [failure('10:00:00', '192.0.2.1'), failure('09:00:00', '192.0.2.2')],
    });
    assert.deepEqual(triggersOf(report), [
      '10:00:00 s.f root 192.0.2.1',
      '10:00:00 s.f root 192.0.2.2',
    ]);
    assert.equal(report.time.earlier, 1);
  });

  test('replayFiles() counts the lines of a file without any time at the time they are read', async () => {
    const before = Date.now();
    const report = await replayOf(config, {
      'auth.log': [failure('', '192.0.2.1'), failure('', '192.0.2.2')],
    });
    const times = report.triggers.map((t) => Date.parse(String(t['time'])));
    assert.equal(times.length, 2);
    for (const t of times) assert.ok(t >= before - 1 && t <= Date.now(), String(t));
    assert.deepEqual([report.time.first, report.time.untimed], [null, 2]);
  });

  test('replayFiles() takes the time of the line before from the previous block of 64 KiB', async () => {
    // The filler fills the first 64 KiB read up to the newline of its last line, exactly:
    // the failure without a time opens the second block.
    const filler = other('09:00:00');
    const last = other('10:00:00');
    const count = Math.floor((65_536 - last.length - 1) / (filler.length + 1));
    const pad = 65_536 - last.length - 1 - count * (filler.length + 1);
    const lines = Array.from({ length: count }, (_, i) =>
      i === 0 ? `${filler}${' '.repeat(pad)}` : filler,
    );
    const report = await replayOf(config, {
      'auth.log': [...lines, last, failure('', '192.0.2.1')],
    });
    assert.equal(lines.join('\n').length + 1 + last.length + 1, 65_536);
    assert.deepEqual(triggersOf(report), ['10:00:00 s.f root 192.0.2.1']);
  });

  test('replayFiles() gives the same report when it looks at every line (--missed) as when it searches for literals', async () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed >>> 16) % n;
    };
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const seconds = 36_000 + Math.floor(i / 3) - (random(50) === 0 ? 600 : 0);
      const time = new Date(seconds * 1000).toISOString().slice(11, 19);
      const ip = `192.0.2.${random(40)}`;
      const kind = random(10);
      if (kind === 0) lines.push(failure(random(4) === 0 ? '' : time, ip));
      else if (kind === 1) lines.push(failure(time, `10.0.0.${random(9)}`));
      else lines.push(random(5) === 0 ? 'a line without a time' : other(time));
    }
    const both = configOf({
      f: { ...FAILED, retry: 3, retryperiod: '2m', actions: BAN_UNBAN },
    });
    const searched = await replayOf(both, { 'auth.log': lines });
    const every = await replayOf(both, { 'auth.log': lines }, { missed: true });
    const { missed_lines: _, ...rest } = every.filters['s.f']!;
    assert.ok(searched.triggers.length > 100, String(searched.triggers.length));
    assert.deepEqual({ ...every, input: [], filters: { 's.f': rest } }, { ...searched, input: [] });
    assert.equal(
      searched.time.untimed,
      lines.filter((l) => !l.startsWith('Jun') && l.includes('Failed')).length,
    );
  });
});

describe('printReport()', () => {
  test('printReport() in YAML reads back as the report, whatever the lines and values hold', async () => {
    const config = configOf({ f: { ...FAILED, actions: BAN_UNBAN } });
    const report = await replayOf(
      config,
      {
        'auth.log': [
          failure('10:00:00', '2001:db8::1'),
          failure('10:00:01', '::1'),
          failure('10:00:02', '::ffff:192.0.2.7'),
          'Jun 10 10:00:03 a: b # c [d] {e}, "f" \'g\' é \\ true',
          '- 1.5',
          '',
          'null',
        ],
      },
      { missed: true },
    );
    const yaml = printReport(report, 'yaml');
    // Documents are read into null-prototype maps: compared as plain data.
    const read = JSON.parse(JSON.stringify(readYaml('report', yaml).value));
    assert.deepEqual(read, JSON.parse(printReport(report, 'json')));
    assert.equal(report.triggers.length, 3);
  });
});

describe('replayFiles() --missed narrowed to the service of a library filter', () => {
  const log = [
    'Jun 10 10:00:00 host sshd[7]: Connection closed by 192.0.2.1 port 22',
    'Jun 10 10:00:01 host sshd-session[8]: Received disconnect from 192.0.2.2 port 22:11: bye',
    'Jun 10 10:00:02 host CRON[9]: pam_unix(cron:session): session opened for user root',
    'Jun 10 10:00:03 host postfix/smtpd[10]: connect from unknown[192.0.2.3]',
    '<38>Jun 10 10:00:04 sshd[11]: Server listening on 0.0.0.0 port 22.',
    '{"SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted publickey for bob","_SYSTEMD_UNIT":"ssh.service"}',
    '{"SYSLOG_IDENTIFIER":"cron","MESSAGE":"started","_SYSTEMD_UNIT":"cron.service"}',
    '{"MESSAGE":"no identifier","_SYSTEMD_UNIT":"sshd.service"}',
    'a line that names no program',
  ];
  const config = {
    streams: {
      s: {
        cmd: ['true'],
        filters: {
          library: { use: 'sshd', actions: { ban: { cmd: ['ban', '<ip>'] } } },
          own: {
            regex: ['Failed password for .* from <ip>'],
            actions: { ban: { cmd: ['ban', '<ip>'] } },
          },
        },
      },
    },
    patterns: { ip: { type: 'ip' } },
  };

  test("replayFiles() lists, for a use: filter, only the missed lines of its service's syslog identifiers and journald units", async () => {
    const report = await replayOf(config, { 'auth.log': log }, { missed: true });
    const f = report.filters['s.library']!;
    const at = (f['missed_lines'] as { at: string }[]).map((m) => m.at.split('/').pop());
    assert.deepEqual(
      at,
      [1, 2, 5, 6, 8, 9].map((n) => `auth.log:${n}`),
    );
    assert.deepEqual([f['missed'], f['missed_of'], f['missed_elsewhere']], [9, 'sshd', 3]);
  });

  test('replayFiles() lists every missed line of a filter that names no library filter', async () => {
    const report = await replayOf(config, { 'auth.log': log }, { missed: true });
    const f = report.filters['s.own']!;
    assert.equal((f['missed_lines'] as unknown[]).length, log.length);
    assert.deepEqual([f['missed_of'], f['missed_elsewhere']], [undefined, undefined]);
  });
});
