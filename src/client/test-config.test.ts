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
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
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
        actions: {ban: {cmd: [sh, -c, 'ban <ip>']}}
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
        actions:
          ban: {cmd: [sh, -c, 'ban <ip>'], ipv4only: true}
          unban: {cmd: [sh, -c, 'unban <ip>'], after: 2d, onexit: true}
          mail: {cmd: [sh, -c, 'mail <ip> <user>'], oneshot: true}
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
      again: {regex: ['^<ip>$'], retry: 3, retryperiod: 7d, duplicates: ignore, actions: {ban: {cmd: [sh, -c, 'ban <ip>'], after: 1500ms}}}
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
            cmd: [ sh, -c, ban <ip> ]
            oneshot: false
start: []
stop: []
concurrency: 0
state_directory: .
state_rotation_interval: 24h
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
    assert.deepEqual(Object.keys(out.streams.ssh.filters.failed.actions), [
      'ban',
      'mail',
      'recidive',
      'unban',
    ]);
    assert.deepEqual(out.streams.ssh.filters.failed.actions.unban, {
      type: 'cmd',
      cmd: ['sh', '-c', 'unban <ip>'],
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
    assert.equal(run.status, 0);
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

describe('test-config errors', () => {
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
