// `riposte test-regex`, run as a user runs it: the real CLI in a child process, with -c
// pointing to a configuration in a temporary directory, on a LINE argument and on stdin.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../main.js');

const CONFIG = `patterns:
  ip: {type: ip, ignore: [127.0.0.1], ignorecidr: [10.0.0.0/8], ipv6mask: 64}
  ip4: {type: ipv4, ipv4mask: 24}
  ip6: {type: ipv6}
  user: {regex: '[a-z]+', ignoreregex: ['adm.*']}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['from <ip>'], actions: {a: {cmd: [echo, <ip>]}}}
`;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  writeFileSync(join(dir, 'c.yml'), CONFIG);
  writeFileSync(join(dir, 'broken.yml'), 'patterns: {ip: {type: ipv5}}\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function riposte(args: readonly string[], input?: string) {
  const result = spawnSync(process.execPath, [MAIN, 'test-regex', ...args], {
    cwd: dir,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('test-regex on a LINE argument', () => {
  const rows: readonly {
    name: string;
    regex: string;
    line: string;
    stdout: string;
    status: number;
  }[] = [
    {
      name: 'an IPv4 match',
      regex: 'from <ip>',
      line: 'from 1.2.3.4 port 22',
      stdout: 'match ip=1.2.3.4',
      status: 0,
    },
    {
      name: 'an IPv6 match in canonical form, masked',
      regex: 'from <ip>',
      line: 'from 2001:DB8:1:2:0:0:0:1',
      stdout: 'match ip=2001:db8:1:2::/64',
      status: 0,
    },
    {
      name: 'an IPv4 value masked to its network',
      regex: 'from <ip4>',
      line: 'from 192.0.2.77',
      stdout: 'match ip4=192.0.2.0/24',
      status: 0,
    },
    {
      name: 'an IPv4-mapped address as IPv4',
      regex: 'from <ip>',
      line: 'from ::ffff:192.0.2.1',
      stdout: 'match ip=192.0.2.1',
      status: 0,
    },
    {
      name: 'a value ignored by "ignore"',
      regex: 'from <ip>',
      line: 'from 127.0.0.1',
      stdout: 'ignored ip=127.0.0.1 (ignored by ignore: 127.0.0.1)',
      status: 1,
    },
    {
      name: 'a value ignored by "ignorecidr"',
      regex: 'from <ip>',
      line: 'from 10.9.8.7',
      stdout: 'ignored ip=10.9.8.7 (ignored by ignorecidr)',
      status: 1,
    },
    {
      name: 'a value ignored by an ignoreregex',
      regex: 'user <user> from <ip>',
      line: 'user admin from 1.2.3.4',
      stdout: 'ignored user=admin (ignored by ignoreregex[0]) ip=1.2.3.4',
      status: 1,
    },
    {
      name: 'a captured text that is not a value',
      regex: 'from <ip6>',
      line: 'from ::ffff:1.2.3.4',
      stdout: 'ignored ip6=::ffff:1.2.3.4 (not a valid ipv6 value)',
      status: 1,
    },
    {
      name: 'two patterns',
      regex: 'user <user> from <ip>',
      line: 'user bob from 1.2.3.4',
      stdout: 'match user=bob ip=1.2.3.4',
      status: 0,
    },
    {
      name: 'no match at the start of a host name',
      regex: 'rhost=<ip>',
      line: 'rhost=5.36.59.76.dsl.example.net',
      stdout: 'no match',
      status: 1,
    },
    {
      name: 'a regex with no pattern',
      regex: 'session opened',
      line: 'pam: session opened',
      stdout: 'match',
      status: 0,
    },
  ];
  for (const row of rows) {
    test(`test-regex prints ${row.name}`, () => {
      assert.deepEqual(riposte(['-c', 'c.yml', row.regex, row.line]), {
        status: row.status,
        stdout: `${row.stdout}\t${row.line}\n`,
        stderr: '',
      });
    });
  }

  test('test-regex without -c reads <ip> as literal text', () => {
    assert.deepEqual(riposte(['from <ip>', 'from <ip>']), {
      status: 0,
      stdout: 'match\tfrom <ip>\n',
      stderr: '',
    });
  });

  test('test-regex warns about a greedy ".*" before a pattern', () => {
    assert.deepEqual(riposte(['-c', 'c.yml', 'Failed .* from <ip>', 'Failed x from 1.2.3.4']), {
      status: 0,
      stdout: 'match ip=1.2.3.4\tFailed x from 1.2.3.4\n',
      stderr:
        'warning: greedy ".*" before <ip> with no anchor at the end: the value taken is the last that fits, which may be text an attacker wrote; anchor the end of the regex or use a narrower class than ".*"\n',
    });
  });
});

describe('test-regex on stdin', () => {
  test('test-regex describes each line of stdin and counts them', () => {
    const input =
      'from 1.2.3.4\nfrom 127.0.0.1\r\nnothing here\nuser eve from ::1\nfrom 2001:db8::1';
    assert.deepEqual(riposte(['-c', 'c.yml', 'from <ip>'], input), {
      status: 0,
      stdout: [
        'match ip=1.2.3.4\tfrom 1.2.3.4',
        'ignored ip=127.0.0.1 (ignored by ignore: 127.0.0.1)\tfrom 127.0.0.1',
        'no match\tnothing here',
        'match ip=::/64\tuser eve from ::1',
        'match ip=2001:db8::/64\tfrom 2001:db8::1',
        '',
      ].join('\n'),
      stderr: '5 lines, 3 matched\n',
    });
  });

  test('test-regex -f reads the lines of each file given, in order', () => {
    writeFileSync(join(dir, 'a.log'), 'from 1.2.3.4\nnothing\n');
    writeFileSync(join(dir, 'b.log'), 'from 127.0.0.1\n');
    const run = riposte(['-c', 'c.yml', 'from <ip>', '-f', 'a.log', '-f', 'b.log']);
    assert.deepEqual(run, {
      status: 0,
      stdout:
        'match ip=1.2.3.4\tfrom 1.2.3.4\nno match\tnothing\nignored ip=127.0.0.1 (ignored by ignore: 127.0.0.1)\tfrom 127.0.0.1\n',
      stderr: '3 lines in 2 files, 1 matched\n',
    });
  });

  test('test-regex tests a LINE that names a file as a line, and says how to read the file', () => {
    writeFileSync(join(dir, 'a.log'), 'from 1.2.3.4\n');
    const run = riposte(['-c', 'c.yml', 'from <ip>', 'a.log']);
    assert.deepEqual(run, {
      status: 1,
      stdout: 'no match\ta.log\n',
      stderr: 'note: "a.log" is tested as a line; to read the lines of that file, write -f a.log\n',
    });
  });

  test('test-regex -f on a missing file is a one-line error', () => {
    const run = riposte(['from <ip>', '-c', 'c.yml', '-f', 'missing.log']);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^riposte: cannot read missing\.log: ENOENT: no such file or directory/,
    );
  });

  test('test-regex exits 1 when no line of stdin matches', () => {
    assert.deepEqual(riposte(['-c', 'c.yml', 'from <ip>'], 'from 127.0.0.1\n'), {
      status: 1,
      stdout: 'ignored ip=127.0.0.1 (ignored by ignore: 127.0.0.1)\tfrom 127.0.0.1\n',
      stderr: '1 line, 0 matched\n',
    });
  });

  test('test-regex reads an empty stdin', () => {
    assert.deepEqual(riposte(['-c', 'c.yml', 'from <ip>'], ''), {
      status: 1,
      stdout: '',
      stderr: '0 lines, 0 matched\n',
    });
  });
});

describe('test-regex errors', () => {
  const rows: readonly { name: string; args: string[]; stderr: string }[] = [
    {
      name: 'a regex that does not parse',
      args: ['-c', 'c.yml', 'from (<ip>', 'x'],
      stderr: 'error: invalid regex: unclosed group (at character 6)\n',
    },
    {
      name: 'a pattern twice',
      args: ['-c', 'c.yml', '<ip> to <ip>', 'x'],
      stderr: 'error: <ip> appears twice: a regex captures each pattern at most once\n',
    },
    {
      name: 'a regex that needs RE2 past what RE2 can run',
      args: ['(a{100}){11}.* from .* port', 'x'],
      stderr:
        "error: invalid regex: nested counted repetitions multiply to 1100, above RE2's limit of 1000\n",
    },
    {
      name: 'a configuration with errors',
      args: ['-c', 'broken.yml', 'from <ip>', 'x'],
      stderr:
        'error: broken.yml:1:23: patterns.ip.type: expected one of "regex", "ip", "ipv4", "ipv6", got the string "ipv5"\n' +
        'error: broken.yml: missing key "streams": a configuration needs at least one stream\n',
    },
    {
      name: 'a configuration that does not exist',
      args: ['-c', 'none.yml', 'from <ip>', 'x'],
      stderr: 'error: none.yml: cannot read configuration: no such file or directory\n',
    },
  ];
  for (const row of rows) {
    test(`test-regex exits 1 on ${row.name}`, () => {
      assert.deepEqual(riposte(row.args), { status: 1, stdout: '', stderr: row.stderr });
    });
  }
});
