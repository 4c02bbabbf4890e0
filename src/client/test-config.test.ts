// `riposte test-config`, run as a user runs it: the real CLI in a child process, in a
// temporary directory, with a PATH that holds only what a row needs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = join(HERE, '../main.js');
const ROOT = join(HERE, '../../..');

let dir = '';
let bin = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const program of ['sh', 'tail', 'echo']) {
    writeFileSync(join(bin, program), '#!/bin/sh\n');
    chmodSync(join(bin, program), 0o755);
  }
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `riposte ...args`, with PATH holding only sh, tail and echo. */
function riposte(args: readonly string[], options: { cwd?: string } = {}): Run {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: options.cwd ?? dir,
    env: { PATH: bin },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: machineFree(result.stderr) };
}

/** Whether the /var/log files the configurations tail exist depends on the machine: not said here. */
function machineFree(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/file "\/var\/log\/[^"]+" does not exist: /.test(line))
    .join('\n');
}

function write(name: string, content: string): string {
  writeFileSync(join(dir, name), content);
  return name;
}

const STREAM = `streams:
  s:
    cmd: [tail, -F, /var/log/auth.log]
    filters:
      f:
        regex: ['from <ip> port']
        actions: {ban: {cmd: [echo, ban, <ip>]}}
`;

/** Every key of behaviour §1 written once, and a few spellings that the output normalises. */
const RICH = `patterns:
  ip: {type: ip, ipv4mask: 32, ipv6mask: 64, ignore: ['0::1', 127.0.0.1], ignorecidr: [10.0.0.0/8], ignoreregex: ['192\\.168\\..*']}
  user: {regex: '[a-z_][a-z0-9_-]*', ignore: [root]}
definitions: {anything: [1, 2]}
streams:
  ssh:
    cmd: [tail, -F, /var/log/auth.log]
    filters:
      failed:
        regex: ['Failed password for <user> from <ip> port \\d+$', 'Invalid user <user> from <ip>$']
        retry: 3
        retryperiod: 6 hours
        duplicate: rerun
        time: syslog
        actions:
          ban: {cmd: [echo, ban, <ip>], ipv4only: true}
          unban: {cmd: [echo, unban, <ip>], after: 2d, onexit: true}
          mail: {cmd: [echo, mail, <ip>, <user>], oneshot: true}
          recidive: {type: virtual, options: {send: '<ip>', to: recidive}}
      json:
        type: struct
        options: {fields: {client.ip: {regex: '^<ip>$'}}}
        actions:
          set: {type: nftables, options: {set: bans, pattern: ip}}
          unset: {type: nftables, options: {set: bans, pattern: ip, action: delete}, after: 90s}
  recidive:
    type: virtual
    filters:
      again: {regex: ['^<ip>$'], retry: 3, retryperiod: 7d, duplicates: ignore, actions: {ban: {cmd: [echo, ban, <ip>], after: 1500ms}}}
start: [[sh, -c, 'nft add table inet t']]
stop: [[sh, -c, 'nft delete table inet t']]
concurrency: 4
state_directory: /var/lib/riposte
state_rotation_interval: null
`;

describe('test-config prints the normalised configuration', () => {
  test('test-config writes every default of a minimal configuration', () => {
    const run = riposte([
      'test-config',
      '-c',
      write('c.yml', `patterns: {ip: {type: ipv4}}\n${STREAM}`),
    ]);
    assert.deepEqual(run, {
      status: 0,
      stderr: '',
      stdout: `patterns:
  ip:
    type: ipv4
    ignore: []
    ignoreregex: []
    ignorecidr: []
streams:
  s:
    type: cmd
    cmd: [ tail, -F, /var/log/auth.log ]
    filters:
      f:
        type: regex
        regex: [ from <ip> port ]
        retry: 1
        duplicates: extend
        actions:
          ban:
            type: cmd
            cmd: [ echo, ban, <ip> ]
            oneshot: false
start: []
stop: []
concurrency: 0
state_directory: .
state_rotation_interval: 24h
history: 7d
`,
    });
  });

  test('test-config -f json writes canonical values, durations and spellings', () => {
    const run = riposte(['test-config', '-f', 'json', '-c', write('c.yml', RICH)]);
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    const out = JSON.parse(run.stdout);
    assert.deepEqual(out.patterns.ip, {
      type: 'ip',
      ignore: ['::1', '127.0.0.1'],
      ignoreregex: ['192\\.168\\..*'],
      ignorecidr: ['10.0.0.0/8'],
      ipv4mask: 32,
      ipv6mask: 64,
    });
    assert.deepEqual(out.streams.ssh.filters.failed.retryperiod, '6h');
    assert.deepEqual(out.streams.ssh.filters.failed.duplicates, 'rerun');
    assert.equal(out.streams.ssh.filters.failed.time, 'syslog');
    assert.equal(out.streams.ssh.filters.json.time, undefined);
    assert.deepEqual(Object.keys(out.streams.ssh.filters.failed.actions), [
      'ban',
      'mail',
      'recidive',
      'unban',
    ]);
    assert.deepEqual(out.streams.ssh.filters.failed.actions.unban, {
      type: 'cmd',
      cmd: ['echo', 'unban', '<ip>'],
      after: '48h',
      onexit: true,
    });
    assert.deepEqual(out.streams.recidive.filters.again.actions.ban.after, '1500ms');
    assert.equal(out.definitions, undefined);
    assert.equal(out.state_rotation_interval, null);
  });

  const inputs = [
    { name: 'a configuration with every key', file: 'c.yml', content: RICH },
    { name: 'the first seed', path: join(ROOT, 'examples/seeds/reaction.yml') },
    { name: 'the Jsonnet seed', path: join(ROOT, 'examples/seeds/reaction.jsonnet') },
    {
      name: 'the second seed, a Jsonnet directory of imports',
      path: join(ROOT, 'examples/seeds/server/server.jsonnet'),
    },
  ];
  for (const format of ['yaml', 'json'] as const) {
    for (const input of inputs) {
      test(`test-config -f ${format} output of ${input.name} is a configuration that gives the same output`, () => {
        const path = input.path ?? write(input.file!, input.content!);
        const first = riposte(['test-config', '-f', format, '-c', path]);
        assert.equal(first.status, 0, first.stderr);
        const again = riposte([
          'test-config',
          '-f',
          format,
          '-c',
          write(`normalised.${format}`, first.stdout),
        ]);
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout, first.stdout);
      });
    }
  }
});

describe('test-config warnings', () => {
  test('test-config warns about the lone "|" of the second seed, passed literally to echo', () => {
    const run = riposte(['test-config', '-c', 'examples/seeds/server/server.jsonnet'], {
      cwd: ROOT,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stderr.split('\n');
    const pipe = `"|" is passed to echo as a plain argument: commands run without a shell; write ['sh', '-c', '...'] to use one`;
    assert.deepEqual(
      lines.filter((l) => l.includes('"|"')),
      [
        `warning: examples/seeds/server/server.jsonnet: start[2]: ${pipe}`,
        `warning: examples/seeds/server/server.jsonnet: stop[3]: ${pipe}`,
      ],
    );
  });

  const nested = (group: string) =>
    `"${group}" repeats a group whose repetitions can share out the same text in many ways: a hostile line can take exponential time`;
  const greedy =
    'greedy ".*" before <ip> with no anchor at the end: the value taken is the last that fits, which may be text an attacker wrote; anchor the end of the regex or use a narrower class than ".*"';
  const rows: readonly { name: string; config: string; warnings: string[] }[] = [
    {
      name: 'a shell operator in a start command and in an action',
      config: `patterns: {ip: {type: ip}}
start: [[echo, started, '>', /tmp/log]]
streams:
  s:
    cmd: [tail, -F, /var/log/auth.log]
    filters:
      f: {regex: ['from <ip> port'], actions: {a: {cmd: [echo, <ip>, '&&', echo, done]}}}
`,
      warnings: [
        `warning: c.yml:2:9: start[0]: ">" is passed to echo as a plain argument: commands run without a shell; write ['sh', '-c', '...'] to use one`,
        `warning: c.yml:7:57: streams.s.filters.f.actions.a.cmd: "&&" is passed to echo as a plain argument: commands run without a shell; write ['sh', '-c', '...'] to use one`,
      ],
    },
    {
      name: 'a program not in PATH, once with the count of the other commands',
      config: `patterns: {ip: {type: ip}}
stop: [[riposte-absent, stop]]
streams:
  s:
    cmd: [riposte-absent, -f]
    filters:
      f: {regex: ['from <ip> port'], actions: {a: {cmd: [riposte-absent, <ip>]}, b: {cmd: [/no/such/ban, <ip>]}}}
`,
      warnings: [
        'warning: c.yml:2:9: stop[0][0]: program "riposte-absent" is not found in PATH (and 2 other commands)',
        'warning: c.yml:7:92: streams.s.filters.f.actions.b.cmd[0]: program "/no/such/ban" is not found in PATH',
      ],
    },
    {
      name: 'a greedy ".*" before a pattern with no anchor at the end',
      config: `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex:
          - 'Failed password for .* from <ip>'
          - 'Failed password for .* from <ip> port \\d+ ssh2$'
          - 'Invalid user \\S+ from <ip>'
        actions: {a: {cmd: [echo, <ip>]}}
`,
      warnings: [`warning: c.yml:8:13: streams.s.filters.f.regex[0]: ${greedy}`],
    },
    {
      name: 'regexes at risk wherever they run: a pattern, its ignoreregex, a struct field',
      config: `patterns:
  user: {regex: '(\\w+\\s?)+', ignoreregex: ['(a+)+b', 'x.*y.*z.*w']}
  ip: {type: ip}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['^login <user>$'], actions: {a: {cmd: [echo, <user>]}}}
      j: {type: struct, options: {fields: {client: {regex: '(.*,)*<ip>$'}}}, actions: {a: {cmd: [echo, <ip>]}}}
`,
      warnings: [
        `warning: c.yml:2:44: patterns.user.ignoreregex[0]: at risk: ${nested('(a+)+')}; riposte matches every value with its linear-time engine (RE2), which is slower`,
        `warning: c.yml:2:54: patterns.user.ignoreregex[1]: at risk: three ".*" in sequence can all match the same text: about n^3 steps for a line of n characters; time can grow as the value length to the power 3, so values longer than 512 characters are matched with the linear-time engine (RE2)`,
        `warning: c.yml:2:17: patterns.user.regex: at risk: ${nested('(\\w+\\s?)+')}; riposte matches every value with its linear-time engine (RE2), which is slower`,
        `warning: c.yml:8:19: streams.s.filters.f.regex[0]: at risk: ${nested('(\\w+\\s?)+')}; riposte matches every line with its linear-time engine (RE2), which is slower`,
        `warning: c.yml:9:60: streams.s.filters.j.options.fields.client.regex: at risk: ${nested('(.*,)*')}; riposte matches every line with its linear-time engine (RE2), which is slower`,
      ],
    },
    {
      name: 'an IP pattern inside the script of a shell, not when it is passed as an argument',
      config: `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex: ['from <ip>']
        actions:
          a: {cmd: [sh, -c, 'ban <ip>']}
          b: {cmd: [sh, -c, 'ban "$1"', sh, <ip>]}
`,
      warnings: [
        `warning: c.yml:9:29: streams.s.filters.f.actions.a.cmd[2]: <ip> is inside the code that "sh -c" runs: an IP value is checked to be an address, which carries no code, but pass the value as an argument instead, as in ['sh', '-c', 'echo "$1"', 'sh', '<ip>']`,
      ],
    },
    {
      name: 'a regex pattern whose value can start with "-" as a whole argument',
      config: `patterns: {ip: {type: ip}, user: {regex: '\\S+'}, name: {regex: '[a-z]+'}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex: ['user <user> <name> from <ip>']
        actions:
          a: {cmd: [echo, -n, <user>]}
          b: {cmd: [echo, --, <user>]}
          c: {cmd: [echo, <name>, <ip>, 'x<user>']}
          d: {cmd: [sh, -c, 'echo "$1"', sh, <user>]}
`,
      warnings: [
        `warning: c.yml:9:31: streams.s.filters.f.actions.a.cmd[2]: <user> is a whole argument of echo, and its regex lets a value start with "-": unless the argument before takes it as its value, echo would read it as an option; put "--" before it if echo takes one, or make the regex start with another character`,
      ],
    },
    {
      name: 'the angle brackets of dropbear written as \\< and \\>, word boundaries since regex 1.10',
      config: `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['Exit before auth from \\<<ip>:\\d+\\>'], actions: {a: {cmd: [echo, <ip>]}}}
`,
      warnings: [
        `warning: c.yml:6:19: streams.s.filters.f.regex[0]: "\\<" means the start of a word (since Rust's regex 1.10), not a literal "<": write "<", which needs no escape`,
        `warning: c.yml:6:19: streams.s.filters.f.regex[0]: "\\>" means the end of a word (since Rust's regex 1.10), not a literal ">": write ">", which needs no escape`,
      ],
    },
  ];
  for (const row of rows) {
    test(`test-config warns about ${row.name}`, () => {
      const run = riposte(['test-config', '-c', write('c.yml', row.config)]);
      assert.equal(run.status, 0);
      assert.deepEqual(run.stderr.split('\n').slice(0, -1), row.warnings);
    });
  }
});

/** Ten mistakes of different kinds, several of which used to hide others. */
const TEN_MISTAKES = `patterns:
  ip:
    type: ip
    ignor: ['127.0.0.1']
  user:
    type: regexp
    regex: '[a-z]+'
streams:
  ssh:
    cmd: [tail, -F, /var/log/auth.log]
    filters:
      failed:
        regex:
          - 'Failed password for <usr> from <ip> port'
          - 'Invalid user (\\w+ from <ip>'
        retry: 3
        retryperiode: 6h
        actions:
          ban:
            type: nftable
            options: {set: bans}
          unban:
            type: nftables
            options: {set: bans, action: remove}
            after: 48h
          mail:
            cmd: [sh, -c, 'mail <ip>']
            onexits: true
          again:
            type: virtual
            options: {send: '<ip>', to: recidiv}
  recidive:
    type: virtual
    filters:
      again:
        regex: ['^<ip>$']
        retry: 3
        actions:
          ban: {cmd: [sh, -c, 'ban <ip>']}
`;

describe('test-config errors', () => {
  test('test-config names all ten mistakes of a configuration in one run', () => {
    const run = riposte(['test-config', '-c', write('c.yml', TEN_MISTAKES)]);
    assert.equal(run.status, 1);
    assert.equal(run.stdout, '');
    assert.deepEqual(run.stderr.split('\n'), [
      'warning: c.yml:14:13: streams.ssh.filters.failed.regex[0]: <usr> names no pattern, so it matches the text "<usr>" itself; did you mean <user>?',
      'error: c.yml:4:5: patterns.ip.ignor: unknown key, did you mean "ignore"?',
      'error: c.yml:6:11: patterns.user.type: expected one of "regex", "ip", "ipv4", "ipv6", got the string "regexp"',
      'error: c.yml:17:9: streams.ssh.filters.failed.retryperiode: unknown key, did you mean "retryperiod"?',
      'error: c.yml:15:13: streams.ssh.filters.failed.regex[1]: invalid regex: unclosed group (at character 14)',
      'error: c.yml:31:41: streams.ssh.filters.failed.actions.again.options.to: "recidiv" is not a stream of type "virtual", did you mean "recidive"?',
      'error: c.yml:20:19: streams.ssh.filters.failed.actions.ban.type: expected one of "cmd", "virtual", "cluster", "ipset", "nftables", got the string "nftable"',
      'error: c.yml:28:13: streams.ssh.filters.failed.actions.mail.onexits: unknown key, did you mean "onexit"?',
      'error: c.yml:24:42: streams.ssh.filters.failed.actions.unban.options.action: expected one of "add", "del", "delete", got the string "remove"',
      'error: c.yml:36:9: streams.recidive.filters.again: missing key "retryperiod": required when retry is more than 1',
      '9 errors in the configuration c.yml',
      '',
    ]);
  });

  test('test-config prints every error, a count, and exits 1', () => {
    const config = `patterns: {ip: {type: ipv4, ignore: ['::1']}}
${STREAM}concurrency: many
`;
    const run = riposte(['test-config', '-c', write('c.yml', config)]);
    assert.deepEqual(run, {
      status: 1,
      stdout: '',
      stderr: `error: c.yml:1:38: patterns.ip.ignore[0]: "::1" is not a value of this pattern (type ipv4), so it can never be ignored
error: c.yml:9:14: concurrency: expected an integer, got the string "many"
2 errors in the configuration c.yml
`,
    });
  });

  test('test-config refuses a regex pattern inside code that a program runs, and says how to pass it', () => {
    const config = `patterns: {ip: {type: ip}, user: {regex: '\\S+'}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex: ['user <user> from <ip>']
        actions:
          a: {cmd: [sh, -c, 'echo <user>']}
          b: {cmd: [/bin/bash, -ec, 'logger <ip> <user>']}
          c: {cmd: [/usr/bin/env, -i, A=1, sh, -xc, 'echo <user>']}
          d: {cmd: [python3, -c, 'print("<user>")']}
          e: {cmd: [awk, -v, 'x=<user>', '{ print "<user>" }']}
          f: {cmd: [su, nobody, -c, 'echo <user>']}
          g: {cmd: [xargs, '-0', sh, -c, 'echo <user>']}
          h: {cmd: [ssh, host, ban, <user>]}
          ok: {cmd: [sh, -c, 'echo "$1"', sh, <user>]}
`;
    const run = riposte(['test-config', '-c', write('c.yml', config)]);
    assert.equal(run.status, 1);
    const shell = `a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['sh', '-c', 'echo "$1"', 'sh', '<user>']`;
    const at = (place: string, reader: string) =>
      `error: c.yml:${place}: <user> is inside the code that "${reader}" runs: ${shell}`;
    assert.deepEqual(
      run.stderr.split('\n').filter((l) => l.startsWith('error: ')),
      [
        at('9:29: streams.s.filters.f.actions.a.cmd[2]', 'sh -c'),
        at('10:37: streams.s.filters.f.actions.b.cmd[2]', 'bash -c'),
        at('11:53: streams.s.filters.f.actions.c.cmd[5]', 'sh -c'),
        `error: c.yml:12:34: streams.s.filters.f.actions.d.cmd[2]: <user> is inside the code that "python -c" runs: a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['python3', '-c', 'import sys; print(sys.argv[1])', '<user>']`,
        `error: c.yml:13:42: streams.s.filters.f.actions.e.cmd[3]: <user> is inside the code that "awk" runs: a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['awk', 'BEGIN { print ARGV[1] }', '<user>']`,
        at('14:37: streams.s.filters.f.actions.f.cmd[3]', 'su -c'),
        at('15:42: streams.s.filters.f.actions.g.cmd[4]', 'sh -c'),
        `error: c.yml:16:37: streams.s.filters.f.actions.h.cmd[3]: <user> is inside the code that "ssh" runs: a log line chooses the value, which can then run commands; the remote shell parses every element after the host: check the value on the remote side, or send it on stdin`,
      ],
    );
    assert.match(run.stderr, /\n8 errors in the configuration c.yml\n$/);
  });

  test('test-config refuses set names, hooks, chains and targets outside the grammar of the firewall', () => {
    const config = `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex: ['from <ip>']
        actions:
          a: {type: nftables, options: {set: bans, chains: ['input; flush ruleset'], target: 'drop; flush ruleset'}}
          b: {type: ipset, options: {set: other, chains: ['-F'], target: 'DROP -j ACCEPT'}}
          c: {type: ipset, options: {set: 'x y'}}
`;
    const run = riposte(['test-config', '-c', write('c.yml', config)]);
    assert.deepEqual(run, {
      status: 1,
      stdout: '',
      stderr: `error: c.yml:9:61: streams.s.filters.f.actions.a.options.chains[0]: "input; flush ruleset" is not a hook of an nftables inet table: expected one of prerouting, input, forward, output, postrouting
error: c.yml:9:94: streams.s.filters.f.actions.a.options.target: "drop; flush ruleset" is not a verdict riposte writes: expected one of drop, reject, accept
error: c.yml:10:59: streams.s.filters.f.actions.b.options.chains[0]: "-F" is not an iptables chain name: up to 28 letters, digits, "_", "." or "-", not starting with "-"
error: c.yml:10:74: streams.s.filters.f.actions.b.options.target: "DROP -j ACCEPT" is not an iptables target name: up to 28 letters, digits, "_", "." or "-", not starting with "-"
error: c.yml:11:43: streams.s.filters.f.actions.c.options.set: a set name is 1 to 28 letters, digits, "_" or "-"
5 errors in the configuration c.yml
`,
    });
  });

  test('test-config says "1 error" for one', () => {
    const run = riposte(['test-config', '-c', 'missing.yml']);
    assert.deepEqual(run, {
      status: 1,
      stdout: '',
      stderr:
        'error: missing.yml: cannot read configuration: no such file or directory\n1 error in the configuration missing.yml\n',
    });
  });

  test('test-config without -c is a usage error', () => {
    const run = riposte(['test-config']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /required option '-c, --config <path>' not specified/);
  });
});
