// The filter library through loadConfig(): what `use:` brings and what the user's keys
// override, in YAML, JSON and Jsonnet alike; the errors of an unknown name; that every
// library file reads; counting as fail2ban counts; the examples and the README on the
// library. (test/library/ builds every filter and mode at once, for the checks that need all.)

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TIME_FORMATS } from '../lib/timestamp.js';
import { type Config, loadConfig } from './config.js';
import type { Filter } from './filter.js';
import { KEYS as FILTER_KEYS } from './filter.js';
import { broughtKeys, resolveUse } from './library.js';
import { libraryNames, readLibraryFilter } from './library-file.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-library-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ACTIONS = { ban: { cmd: ['true', '<ip>'] } };
const IP = { ip: { type: 'ip' } };

/** A configuration of one stream with `filters`; `patterns: null` declares none. */
function configWith(filters: Record<string, unknown>, patterns: unknown = IP): unknown {
  return {
    ...(patterns === null ? {} : { patterns }),
    streams: { s: { cmd: ['true'], filters } },
  };
}

async function load(name: string, text: string): Promise<Config> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const loaded = await loadConfig(path);
  assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
  assert.ok(loaded.ok);
  return loaded.config;
}

async function errorsOf(text: string): Promise<string[]> {
  const path = join(dir, 'c.json');
  writeFileSync(path, text);
  const loaded = await loadConfig(path);
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.errors.map((e) => e.message.replace(`${dir}/`, ''));
}

function filterOf(config: Config, name = 'f'): Filter {
  return config.streams[0]!.filters.find((f) => f.name === name)!;
}

function sources(filter: Filter): string[] {
  return filter.regexes.map((r) => r.source);
}

describe('use: in a filter', () => {
  test("use: sshd brings the normal mode's regexes and fail2ban's retry rule", async () => {
    const config = await load(
      'c.json',
      JSON.stringify(configWith({ f: { use: 'sshd', actions: ACTIONS } })),
    );
    const library = readLibraryFilter('sshd').modes.get('normal')!;
    assert.deepEqual(sources(filterOf(config)), library.regex);
    assert.equal(filterOf(config).retry, 5);
    assert.equal(filterOf(config).retryperiod, 600_000);
  });

  test('use: NAME-MODE brings that mode, with its own retry rule', async () => {
    const config = await load(
      'c.json',
      JSON.stringify(
        configWith({
          f: { use: 'sshd-aggressive', actions: ACTIONS },
          g: { use: 'postfix-rbl', actions: ACTIONS },
        }),
      ),
    );
    assert.deepEqual(
      sources(filterOf(config)),
      readLibraryFilter('sshd').modes.get('aggressive')!.regex,
    );
    assert.ok(
      sources(filterOf(config)).length >
        sources(filterOf(config)).filter((s) => !s.includes('preauth')).length,
    );
    assert.equal(filterOf(config, 'g').retry, 1);
  });

  test('keys written beside use: win, and a regex list written beside it is tried first', async () => {
    const config = await load(
      'c.yml',
      [
        'patterns: {ip: {type: ip}}',
        'streams:',
        '  s:',
        "    cmd: ['true']",
        '    filters:',
        '      f:',
        '        use: sshd',
        '        retry: 3',
        "        retryperiod: '1h'",
        "        regex: ['^custom failure from <ip>$']",
        "        actions: {ban: {cmd: ['true', <ip>]}}",
        '',
      ].join('\n'),
    );
    const filter = filterOf(config);
    assert.deepEqual(sources(filter), [
      '^custom failure from <ip>$',
      ...readLibraryFilter('sshd').modes.get('normal')!.regex,
    ]);
    assert.equal(filter.retry, 3);
    assert.equal(filter.retryperiod, 3_600_000);
    assert.deepEqual(filter.match('custom failure from 192.0.2.9'), ['192.0.2.9']);
  });

  test('use: declares the ip pattern, ignoring the machine itself, when the configuration has none', async () => {
    const config = await load(
      'c.json',
      JSON.stringify(configWith({ f: { use: 'sshd', actions: ACTIONS } }, null)),
    );
    const ip = config.patterns.get('ip')!;
    assert.equal(ip.type, 'ip');
    assert.deepEqual(ip.ignore, ['127.0.0.1', '::1']);
    const line =
      'Feb 25 14:34:10 belka sshd[31602]: Failed password for root from 127.0.0.1 port 22 ssh2';
    assert.equal(filterOf(config).match(line), undefined);
    assert.deepEqual(filterOf(config).match(line.replace('127.0.0.1', '192.0.2.1')), ['192.0.2.1']);
  });

  test('use: keeps an ip pattern the configuration declares', async () => {
    const config = await load(
      'c.json',
      JSON.stringify(
        configWith({ f: { use: 'sshd', actions: ACTIONS } }, { ip: { type: 'ip', ipv6mask: 64 } }),
      ),
    );
    const ip = config.patterns.get('ip')!;
    assert.deepEqual(ip.ignore, []);
    assert.equal(ip.ipv6mask, 64);
  });

  test('use: reads the same in YAML, JSON and Jsonnet', async () => {
    const json = JSON.stringify(configWith({ f: { use: 'dovecot', actions: ACTIONS } }));
    const yaml = await load('c.yml', json);
    const jsonConfig = await load('c.json', json);
    const jsonnet = await load(
      'c.jsonnet',
      `local use = 'dove' + 'cot';\n${json.replace('"dovecot"', 'use')}`,
    );
    for (const config of [jsonConfig, jsonnet]) {
      assert.deepEqual(sources(filterOf(config)), sources(filterOf(yaml)));
      assert.equal(filterOf(config).retry, filterOf(yaml).retry);
    }
  });

  test('use: brings the fields of a struct filter', async () => {
    const config = await load(
      'c.json',
      JSON.stringify(configWith({ f: { use: 'nextcloud', actions: ACTIONS } })),
    );
    const filter = filterOf(config);
    assert.equal(filter.type, 'struct');
    assert.deepEqual(Object.keys(filter.struct!.options.fields), ['message', 'remoteAddr']);
  });

  test('an unknown name is an error that names the closest one', async () => {
    assert.deepEqual(
      await errorsOf(JSON.stringify(configWith({ f: { use: 'shd', actions: ACTIONS } }))),
      [
        'c.json:1:87: streams.s.filters.f.use: unknown library filter "shd", did you mean "sshd"? (riposte filters lists them)',
        'c.json:1:80: streams.s.filters.f: missing key "regex"',
      ],
    );
    assert.deepEqual(
      await errorsOf(
        JSON.stringify(configWith({ f: { use: 'sshd-agressive', actions: ACTIONS } })),
      ),
      [
        'c.json:1:87: streams.s.filters.f.use: unknown library filter "sshd-agressive", did you mean "sshd-aggressive"? (riposte filters lists them)',
        'c.json:1:80: streams.s.filters.f: missing key "regex"',
      ],
    );
  });

  test('use: that is not a name is an error, and the key is not reported again as unknown', async () => {
    assert.deepEqual(
      await errorsOf(JSON.stringify(configWith({ f: { use: ['sshd'], actions: ACTIONS } }))),
      [
        'c.json:1:87: streams.s.filters.f.use: expected the name of a library filter such as "sshd", got a list',
        'c.json:1:80: streams.s.filters.f: missing key "regex"',
      ],
    );
  });
});

test("use: brings the time format of the filter's log", () => {
  assert.ok(FILTER_KEYS.includes('time'));
  assert.equal(broughtKeys(resolveUse('sshd')!)['time'], 'syslog');
  assert.equal(broughtKeys(resolveUse('nginx-http-auth')!)['time'], 'iso8601');
});

describe('resolveUse()', () => {
  const rows: readonly [string, string | undefined, string | undefined][] = [
    ['sshd', 'sshd', 'normal'],
    ['sshd-normal', 'sshd', 'normal'],
    ['sshd-ddos', 'sshd', 'ddos'],
    ['nginx-http-auth', 'nginx-http-auth', 'normal'],
    ['nginx-http-auth-aggressive', 'nginx-http-auth', 'aggressive'],
    ['postfix-sasl', 'postfix', 'sasl'],
    ['sshd-bogus', undefined, undefined],
    ['nginx', undefined, undefined],
  ];
  for (const [name, filter, mode] of rows) {
    test(`resolveUse() reads ${JSON.stringify(name)} as ${filter === undefined ? 'no filter' : `${filter} mode ${mode}`}`, () => {
      const resolved = resolveUse(name);
      assert.deepEqual(
        resolved === undefined
          ? [undefined, undefined]
          : [resolved.filter.name, resolved.mode.name],
        [filter, mode],
      );
    });
  }
});

describe('every library file', () => {
  test('every library file reads, with a description, the ip pattern and a known time format', () => {
    assert.ok(libraryNames().length >= 40, `${libraryNames().length} library filters`);
    for (const name of libraryNames()) {
      const filter = readLibraryFilter(name);
      assert.ok(filter.description.length > 20, name);
      assert.deepEqual(filter.patterns, ['ip'], name);
      if (filter.time !== undefined) assert.ok(TIME_FORMATS.includes(filter.time), name);
      assert.equal([...filter.modes.keys()][0], 'normal', name);
    }
  });
});

describe('counting as fail2ban counts', () => {
  /** How many lines of `log` each use: name counts. */
  async function counts(names: readonly string[], log: readonly string[]): Promise<number[]> {
    const filters = Object.fromEntries(
      names.map((name) => [name, { use: name, actions: ACTIONS }]),
    );
    const config = await load('c.json', JSON.stringify(configWith(filters)));
    return names.map(
      (name) => log.filter((line) => filterOf(config, name).match(line) !== undefined).length,
    );
  }

  const host = 'Mar  2 10:00:00 host sshd[900]:';
  test('sshd counts each failed password once: the PAM lines and the disconnection beside them are context', async () => {
    const log = [
      `${host} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.10  user=root`,
      `${host} Failed password for root from 192.0.2.10 port 51000 ssh2`,
      `${host} Failed password for root from 192.0.2.10 port 51000 ssh2`,
      `${host} Failed password for root from 192.0.2.10 port 51000 ssh2`,
      `${host} Connection closed by authenticating user root 192.0.2.10 port 51000 [preauth]`,
      `${host} PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.10  user=root`,
    ];
    // The closed connection is a failure of its own in the modes that count preauth closes.
    assert.deepEqual(await counts(['sshd', 'sshd-aggressive', 'pam-generic'], log), [3, 4, 1]);
  });

  test('sshd counts an unknown user and each of its passwords, not its disconnection', async () => {
    const log = [
      `${host} Invalid user admin from 192.0.2.11 port 52000`,
      `${host} pam_unix(sshd:auth): check pass; user unknown`,
      `${host} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.11`,
      `${host} Failed password for invalid user admin from 192.0.2.11 port 52000 ssh2`,
      `${host} Received disconnect from 192.0.2.11 port 52000:11: Bye Bye [preauth]`,
      `${host} Disconnected from invalid user admin 192.0.2.11 port 52000 [preauth]`,
    ];
    assert.deepEqual(await counts(['sshd', 'sshd-extra'], log), [2, 3]);
  });

  test('sshd counts nothing of a successful login', async () => {
    const log = [
      `${host} Accepted publickey for alice from 192.0.2.12 port 53000 ssh2: ED25519 SHA256:abc`,
      `${host} pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)`,
      `${host} Received disconnect from 192.0.2.12 port 53000:11: disconnected by user`,
      `${host} Disconnected from user alice 192.0.2.12 port 53000`,
    ];
    assert.deepEqual(await counts(['sshd', 'sshd-aggressive'], log), [0, 0]);
  });

  test('dovecot counts each attempt its authentication backend reports, and the login that ends the connection', async () => {
    const log = [
      'Mar  2 10:00:00 host dovecot: auth-worker(77): pam(bob,192.0.2.13,<x1>): pam_authenticate() failed: Authentication failure (Password mismatch?)',
      'Mar  2 10:00:03 host dovecot: auth-worker(77): pam(bob,192.0.2.13,<x1>): pam_authenticate() failed: Authentication failure (Password mismatch?)',
      'Mar  2 10:00:09 host dovecot: imap-login: Disconnected (auth failed, 2 attempts in 9 secs): user=<bob>, method=PLAIN, rip=192.0.2.13, lip=192.0.2.1, TLS, session=<x1>',
    ];
    assert.deepEqual(await counts(['dovecot'], log), [3]);
  });
});

describe('the examples on the library', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  const lines = [
    // OpenSSH writes no port here: the example before the library matched none of these.
    ['Mar  2 10:00:00 host sshd[901]: Invalid user oracle from 192.0.2.30', '192.0.2.30'],
    [
      'Mar  2 10:00:00 host sshd-session[902]: Invalid user oracle from 192.0.2.31 port 4022',
      '192.0.2.31',
    ],
    [
      'Mar  2 10:00:00 host sshd[903]: Failed password for root from 192.0.2.32 port 4023 ssh2',
      '192.0.2.32',
    ],
  ] as const;
  for (const example of ['nftables', 'iptables', 'ipset']) {
    test(`examples/${example}/ counts the failures of OpenSSH's own lines`, async () => {
      const loaded = await loadConfig(join(root, 'examples', example));
      assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
      assert.ok(loaded.ok);
      const ssh = loaded.config.streams.find((s) => s.name === 'ssh')!.filters[0]!;
      assert.deepEqual(
        lines.map(([line]) => ssh.match(line)?.[0]),
        lines.map(([, ip]) => ip),
      );
    });
  }

  test('examples/iptables/ composes the imported library.libsonnet with regexes of its own', async () => {
    const loaded = await loadConfig(join(root, 'examples/iptables'));
    assert.ok(loaded.ok);
    const botsearch = loaded.config.streams.find((s) => s.name === 'nginx')!.filters[0]!;
    const library = readLibraryFilter('nginx-botsearch').modes.get('normal')!.regex;
    assert.deepEqual(sources(botsearch).slice(0, library.length), library);
    assert.equal(sources(botsearch).length, library.length + 1);
    assert.equal(botsearch.retry, 2);
    const probe =
      '192.0.2.33 - - [02/Mar/2026:10:00:00 +0100] "GET /.env HTTP/1.1" 404 153 "-" "curl"';
    assert.deepEqual(botsearch.match(probe), ['192.0.2.33']);
  });
});

test("the README's translation of a fail2ban jail is a valid configuration that means the jail", async () => {
  const readme = readFileSync(
    join(dirname(fileURLToPath(import.meta.url)), '../../../README.md'),
    'utf8',
  );
  const block = /is, in riposte:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block !== undefined);
  const config = await load('jail.yml', block);
  const sshd = filterOf(config, 'sshd');
  assert.deepEqual(sources(sshd), readLibraryFilter('sshd').modes.get('aggressive')!.regex);
  assert.deepEqual([sshd.retry, sshd.retryperiod], [3, 3_600_000]);
  assert.deepEqual(config.patterns.get('ip')!.ignorecidr, ['127.0.0.0/8', '::1/128']);
  assert.equal(sshd.actions.find((a) => a.name === 'unban')!.after, 86_400_000);
});
