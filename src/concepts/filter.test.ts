// Filter matching through the configuration model: tables of (pattern settings, regexes,
// line) → the match that filter.match() gives, on short lines (V8) and on the same lines
// made longer than 8 KiB (RE2), plus explain() and struct filters on JSON lines.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from './config.js';
import type { Filter, Hit } from './filter.js';

/** The only filter of a configuration made of `patterns` and this filter's keys. */
async function filterOf(patterns: object, filter: object): Promise<Filter> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    const actions = { a: { cmd: ['true'] } };
    const streams = { s: { cmd: ['true'], filters: { f: { ...filter, actions } } } };
    writeFileSync(file, JSON.stringify({ patterns, streams }));
    const loaded = await loadConfig(file);
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
    assert.ok(loaded.ok);
    return loaded.config.streams[0]!.filters[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const IP = { ip: { type: 'ip' } };
const USER_IP = { ip: { type: 'ip' }, user: { regex: '[a-z]+' } };

interface Row {
  readonly name: string;
  readonly patterns: object;
  readonly regex: readonly string[];
  readonly line: string;
  /** The values in the filter's pattern order, or null for no match. */
  readonly match: readonly string[] | null;
}

const ROWS: readonly Row[] = [
  {
    name: 'a pattern that can match the empty string, capturing nothing: the empty value',
    patterns: { ip: { type: 'ip' }, user: { regex: '\\S*' } },
    regex: ['for <user> from <ip> port'],
    line: 'Failed password for  from 1.2.3.4 port 22',
    match: ['', '1.2.3.4'],
  },
  {
    name: 'a pattern that can match the empty string, capturing a text',
    patterns: { ip: { type: 'ip' }, user: { regex: '\\S*' } },
    regex: ['for <user> from <ip> port'],
    line: 'Failed password for root from 1.2.3.4 port 22',
    match: ['root', '1.2.3.4'],
  },
  {
    name: 'an IPv4 address',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'Failed password for root from 1.2.3.4 port 22',
    match: ['1.2.3.4'],
  },
  {
    name: 'an IPv6 address, in canonical form',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from 2001:DB8:0:0:0:0:0:1 port 22',
    match: ['2001:db8::1'],
  },
  {
    name: 'an IPv6 address with leading zeros',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from 2001:0db8:0000:0000:0001:0000:0000:0001 port 22',
    match: ['2001:db8::1:0:0:1'],
  },
  {
    name: 'an IPv6 address compressed before other groups',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from 2001:db8::1:0:0:1 port 22',
    match: ['2001:db8::1:0:0:1'],
  },
  {
    name: 'an IPv6 address compressed before other groups, with nothing after it in the regex',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 2001:db8::1:0:0:1 port 22',
    match: ['2001:db8::1:0:0:1'],
  },
  {
    name: 'an IPv6 address of 7 groups and "::" in the middle',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 1:2:3::5:6:7:8',
    match: ['1:2:3:0:5:6:7:8'],
  },
  {
    name: 'an IPv6 address with an IPv4 tail',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 64:ff9b::192.0.2.33',
    match: ['64:ff9b::c000:221'],
  },
  {
    name: 'an IPv6 address compressed at the end',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from fe80:0:0:1:: port 22',
    match: ['fe80:0:0:1::'],
  },
  {
    name: 'the unspecified IPv6 address',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from :: port 22',
    match: ['::'],
  },
  {
    name: 'an IPv4-mapped IPv6 address, as IPv4',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from ::ffff:1.2.3.4 port 22',
    match: ['1.2.3.4'],
  },
  {
    name: 'an IPv4-mapped IPv6 address in upper case, as IPv4',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from ::FFFF:1.2.3.4 port 22',
    match: ['1.2.3.4'],
  },
  {
    name: 'an IPv4-mapped address in its hexadecimal form, as IPv4',
    patterns: IP,
    regex: ['from <ip> port'],
    line: 'from ::ffff:102:304 port 22',
    match: ['1.2.3.4'],
  },
  {
    name: 'no address at the start of a host name',
    patterns: IP,
    regex: ['rhost=<ip>'],
    line: 'rhost=5.36.59.76.dsl.example.net user=root',
    match: null,
  },
  {
    name: 'an address followed by a full stop and a space',
    patterns: IP,
    regex: ['rhost=<ip>'],
    line: 'rhost=5.36.59.76. user=root',
    match: ['5.36.59.76'],
  },
  {
    name: 'no address at the end of a longer token',
    patterns: IP,
    regex: ['<ip>'],
    line: 'host x11.2.3.4 said',
    match: null,
  },
  {
    name: 'no address with an octet above 255',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 1.2.3.456',
    match: null,
  },
  {
    name: 'no address with a leading zero',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 01.2.3.4',
    match: null,
  },
  {
    name: 'no address of nine IPv6 groups',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 1:2:3:4:5:6:7:8:9 x',
    match: null,
  },
  {
    name: 'no address in a time of day',
    patterns: IP,
    regex: ['<ip>'],
    line: 'at 12:34:56 something',
    match: null,
  },
  {
    name: 'an IPv4 address and its port',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from 1.2.3.4:5555',
    match: ['1.2.3.4'],
  },
  {
    name: 'a bracketed IPv6 address and its port',
    patterns: IP,
    regex: ['from \\[<ip>\\]:\\d+'],
    line: 'from [2001:db8::1]:5555',
    match: ['2001:db8::1'],
  },
  {
    name: 'an IPv6 address with a zone',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'from fe80::1%eth0 port 22',
    match: ['fe80::1'],
  },
  {
    name: 'no IPv6 address for an ipv4 pattern',
    patterns: { ip: { type: 'ipv4' } },
    regex: ['from <ip>'],
    line: 'from 2001:db8::1 port 22',
    match: null,
  },
  {
    name: 'no IPv4 address for an ipv6 pattern',
    patterns: { ip: { type: 'ipv6' } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4 port 22',
    match: null,
  },
  {
    name: 'no IPv4-mapped address for an ipv6 pattern (it is IPv4)',
    patterns: { ip: { type: 'ipv6' } },
    regex: ['from <ip>'],
    line: 'from ::ffff:1.2.3.4 port 22',
    match: null,
  },
  {
    name: 'an IPv4 address masked to its /24',
    patterns: { ip: { type: 'ip', ipv4mask: 24, ipv6mask: 64 } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: ['1.2.3.0/24'],
  },
  {
    name: 'an IPv6 address masked to its /64',
    patterns: { ip: { type: 'ip', ipv4mask: 24, ipv6mask: 64 } },
    regex: ['from <ip>'],
    line: 'from 2001:db8:1:2:3:4:5:6',
    match: ['2001:db8:1:2::/64'],
  },
  {
    name: 'an IPv6 address masked to a prefix inside a group',
    patterns: { ip: { type: 'ipv6', ipv6mask: 60 } },
    regex: ['from <ip>'],
    line: 'from 2001:db8:1:2ff:3:4:5:6',
    match: ['2001:db8:1:2f0::/60'],
  },
  {
    name: 'an IPv4 address masked to /32 and to /0',
    patterns: { ip: { type: 'ip', ipv4mask: 32 } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: ['1.2.3.4/32'],
  },
  {
    name: 'an IPv6 address masked to /0',
    patterns: { ip: { type: 'ip', ipv6mask: 0 } },
    regex: ['from <ip>'],
    line: 'from 2001:db8::1',
    match: ['::/0'],
  },
  {
    name: 'an IPv4 address unmasked when only ipv6mask is set',
    patterns: { ip: { type: 'ip', ipv6mask: 64 } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: ['1.2.3.4'],
  },
  {
    name: 'the next regex when a value is in ignore',
    patterns: { ip: { type: 'ip', ignore: ['1.2.3.4'] } },
    regex: ['from <ip>', 'to <ip>'],
    line: 'from 1.2.3.4 to 5.6.7.8',
    match: ['5.6.7.8'],
  },
  {
    name: 'ignore compared in canonical form',
    patterns: { ip: { type: 'ip', ignore: ['2001:DB8::1'] } },
    regex: ['from <ip>', 'to <ip>'],
    line: 'from 2001:db8:0::1 to 5.6.7.8',
    match: ['5.6.7.8'],
  },
  {
    name: 'ignore compared before the mask',
    patterns: { ip: { type: 'ip', ignore: ['1.2.3.4'], ipv4mask: 24 } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.5',
    match: ['1.2.3.0/24'],
  },
  {
    name: 'no match when the only hit is ignored',
    patterns: { ip: { type: 'ip', ignore: ['::1'] } },
    regex: ['from <ip>'],
    line: 'from 0::1',
    match: null,
  },
  {
    name: 'an ignoreregex that matches only part of the value ignores nothing',
    patterns: { ip: { type: 'ip', ignoreregex: ['1\\.2\\.3'] } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: ['1.2.3.4'],
  },
  {
    name: 'an ignoreregex that matches the whole value',
    patterns: { ip: { type: 'ip', ignoreregex: ['1\\.2\\.3\\.\\d+'] } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: null,
  },
  {
    name: 'an ignoreregex of a regex pattern, whole match only',
    patterns: { user: { regex: '[a-z]+', ignoreregex: ['adm'] } },
    regex: ['user <user>'],
    line: 'user admin',
    match: ['admin'],
  },
  {
    name: 'an ignorecidr of each family',
    patterns: { ip: { type: 'ip', ignorecidr: ['10.0.0.0/8', 'fe80::/10'] } },
    regex: ['from <ip>', 'to <ip>'],
    line: 'from 10.1.2.3 to fe80::1',
    match: null,
  },
  {
    name: 'the next regex when a value is in ignorecidr',
    patterns: { ip: { type: 'ip', ignorecidr: ['10.0.0.0/8'] } },
    regex: ['from <ip>', 'to <ip>'],
    line: 'from 10.1.2.3 to 11.0.0.1',
    match: ['11.0.0.1'],
  },
  {
    name: 'an ignorecidr applied to an IPv4-mapped address',
    patterns: { ip: { type: 'ip', ignorecidr: ['10.0.0.0/8'] } },
    regex: ['from <ip>'],
    line: 'from ::ffff:10.1.2.3',
    match: null,
  },
  {
    name: 'an IPv4-mapped ignorecidr applied to an IPv4 address',
    patterns: { ip: { type: 'ip', ignorecidr: ['::ffff:10.0.0.0/104'] } },
    regex: ['from <ip>'],
    line: 'from 10.1.2.3',
    match: null,
  },
  {
    name: 'an ignorecidr of one address',
    patterns: { ip: { type: 'ip', ignorecidr: ['1.2.3.4'] } },
    regex: ['from <ip>'],
    line: 'from 1.2.3.4',
    match: null,
  },
  {
    name: 'an ignorecidr checked before the mask',
    patterns: { ip: { type: 'ip', ignorecidr: ['1.2.3.0/24'], ipv4mask: 16 } },
    regex: ['from <ip>', 'to <ip>'],
    line: 'from 1.2.3.4 to 1.2.4.4',
    match: ['1.2.0.0/16'],
  },
  {
    name: 'two patterns, in the order of the first regex',
    patterns: USER_IP,
    regex: ['user <user> from <ip>', 'from <ip> user <user>'],
    line: 'from 1.2.3.4 user bob',
    match: ['bob', '1.2.3.4'],
  },
  {
    name: 'two patterns, the next regex when one value is ignored',
    patterns: { ...USER_IP, user: { regex: '[a-z]+', ignore: ['root'] } },
    regex: ['user <user> from <ip>', 'from <ip> user <user>'],
    line: 'user root from 1.2.3.4 user bob',
    match: ['bob', '1.2.3.4'],
  },
  {
    name: 'the first regex that hits, not the first hit in the line',
    patterns: IP,
    regex: ['a <ip>', 'b <ip>'],
    line: 'b 1.1.1.1 a 2.2.2.2',
    match: ['2.2.2.2'],
  },
  {
    name: 'the last address after a greedy ".*"',
    patterns: IP,
    regex: ['Failed .* from <ip>'],
    line: 'Failed password for from 1.1.1.1 from 2.2.2.2',
    match: ['2.2.2.2'],
  },
  {
    name: 'an empty match for a regex with no pattern',
    patterns: IP,
    regex: ['session opened'],
    line: 'x session opened y',
    match: [],
  },
  {
    name: 'no match',
    patterns: IP,
    regex: ['from <ip>'],
    line: 'Accepted publickey for root',
    match: null,
  },
  {
    name: 'a regex pattern value as written',
    patterns: { user: { regex: '[A-Za-z]+' } },
    regex: ['user <user>'],
    line: 'user Bob',
    match: ['Bob'],
  },
  {
    name: 'literal <…> around a pattern',
    patterns: IP,
    regex: ['Exit before auth from <<ip>:\\d+>'],
    line: 'Exit before auth from <1.2.3.4:22>: bye',
    match: ['1.2.3.4'],
  },
  {
    name: 'an undeclared <name> as literal text',
    patterns: IP,
    regex: ['user <foo> from <ip>'],
    line: 'user <foo> from 1.2.3.4',
    match: ['1.2.3.4'],
  },
  {
    name: "the first seed's pam regex",
    patterns: { ip: { type: 'ipv4' } },
    regex: ['authentication failure;.*rhost=<ip>'],
    line: 'sshd[42]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root',
    match: ['203.0.113.9'],
  },
];

/** The line made longer than 8 KiB. */
function long(line: string): string {
  return `${'x'.repeat(9000)} ${line}`;
}

/**
 * The same regex, but quadratic for the engine, so that a long line goes to RE2: a line
 * holds no "\n", so the group never matches and the captures are those of `regex`.
 */
function quadratic(regex: string): string {
  return `(?:.*\\n)?${regex}`;
}

describe('filter.match()', () => {
  for (const row of ROWS) {
    test(`filter.match() gives ${row.name}`, async () => {
      const filter = await filterOf(row.patterns, { regex: row.regex });
      assert.deepEqual(filter.match(row.line) ?? null, row.match);
    });
  }
});

describe('filter.match() on a line longer than 8 KiB', () => {
  for (const row of ROWS) {
    test(`filter.match() gives ${row.name}, through RE2`, async () => {
      const filter = await filterOf(row.patterns, { regex: row.regex.map(quadratic) });
      for (const regex of filter.regexes) assert.ok(long(row.line).length > regex.engine.v8Limit);
      assert.deepEqual(filter.match(long(row.line)) ?? null, row.match);
      assert.deepEqual(filter.match(row.line) ?? null, row.match);
    });
  }
});

describe('filter.match() on a long line against decoys', () => {
  // V8 skips each decoy by backtracking; RE2, which has no look-arounds, searches a copy of
  // the line where tokens that hold no whole address are blanked out, so no number of
  // decoys (here far more than the 8 retries RE2 is allowed) hides the real address.
  const decoys = Array.from({ length: 300 }, (_, i) => `from 192.0.2.${i % 250}.example.net`).join(
    ' ',
  );
  const line = `${decoys} then from 203.0.113.9`;
  test('filter.match() finds the address after 300 host names that start like addresses, through RE2', async () => {
    const filter = await filterOf(IP, { regex: [quadratic('from <ip>')] });
    assert.deepEqual(filter.match(line), ['203.0.113.9']);
    assert.deepEqual(filter.match(long(line)), ['203.0.113.9']);
  });
});

describe('filter.explain()', () => {
  const rows: readonly {
    name: string;
    patterns: object;
    regex: string[];
    line: string;
    hits: Hit[];
  }[] = [
    {
      name: 'every regex tried, with the rule that ignored a value',
      patterns: { ip: { type: 'ip', ignore: ['1.2.3.4'], ignorecidr: ['10.0.0.0/8'] } },
      regex: ['from <ip>', 'via <ip>', 'nope <ip>', 'to <ip>', 'after <ip>'],
      line: 'from 1.2.3.4 via 10.0.0.1 to 5.6.7.8 after 9.9.9.9',
      hits: [
        { regex: 0, ignored: 'ignore: 1.2.3.4', pattern: 'ip', text: '1.2.3.4' },
        { regex: 1, ignored: 'ignorecidr', pattern: 'ip', text: '10.0.0.1' },
        { regex: 3, values: ['5.6.7.8'] },
      ],
    },
    {
      name: 'the index of the ignoreregex, and the pattern it belongs to',
      patterns: { ...USER_IP, user: { regex: '[a-z]+', ignoreregex: ['x+', 'adm.*'] } },
      regex: ['user <user> from <ip>'],
      line: 'user admin from 1.2.3.4',
      hits: [{ regex: 0, ignored: 'ignoreregex[1]', pattern: 'user', text: 'admin' }],
    },
    {
      name: 'a captured text that is not a value of the pattern',
      patterns: { ip: { type: 'ipv6' } },
      regex: ['from <ip>'],
      line: 'from ::ffff:1.2.3.4',
      hits: [{ regex: 0, ignored: 'not a valid value', pattern: 'ip', text: '::ffff:1.2.3.4' }],
    },
    {
      name: 'nothing for a line no regex hits',
      patterns: IP,
      regex: ['from <ip>'],
      line: 'hello',
      hits: [],
    },
  ];
  for (const row of rows) {
    test(`filter.explain() gives ${row.name}`, async () => {
      const filter = await filterOf(row.patterns, { regex: row.regex });
      assert.deepEqual(filter.explain(row.line), row.hits);
    });
  }
});

describe('filter.match() of a struct filter', () => {
  const options = {
    lang: 'json',
    fields: { 'client.ip': { regex: '^<ip>$' }, msg: { regex: 'failed for <user>' } },
  };
  const patterns = { ip: { type: 'ip', ignore: ['127.0.0.1'] }, user: { regex: '[a-z]+' } };
  const rows: readonly { name: string; line: string; match: string[] | null }[] = [
    {
      name: 'the values of nested fields',
      line: '{"client":{"ip":"2001:DB8::1"},"msg":"login failed for bob"}',
      match: ['2001:db8::1', 'bob'],
    },
    {
      name: 'a JSON line after spaces',
      line: '  {"msg":"failed for eve","client":{"ip":"1.2.3.4"}}',
      match: ['1.2.3.4', 'eve'],
    },
    { name: 'no match when a field is missing', line: '{"client":{"ip":"1.2.3.4"}}', match: null },
    {
      name: 'no match when a field does not match its regex',
      line: '{"client":{"ip":"1.2.3.4 x"},"msg":"failed for eve"}',
      match: null,
    },
    {
      name: 'no match when a value is ignored',
      line: '{"client":{"ip":"127.0.0.1"},"msg":"failed for eve"}',
      match: null,
    },
    {
      name: 'no match when a field is an object',
      line: '{"client":{"ip":{"v":"1.2.3.4"}},"msg":"failed for eve"}',
      match: null,
    },
    {
      name: 'no match on a line that is not JSON',
      line: 'client.ip=1.2.3.4 msg=failed for eve',
      match: null,
    },
    {
      name: 'no match on a JSON list',
      line: '[{"client":{"ip":"1.2.3.4"},"msg":"failed for eve"}]',
      match: null,
    },
    {
      name: 'no match on broken JSON',
      line: '{"client":{"ip":"1.2.3.4"},"msg":"failed for eve"',
      match: null,
    },
  ];
  for (const row of rows) {
    test(`filter.match() of a struct filter gives ${row.name}`, async () => {
      const filter = await filterOf(patterns, { type: 'struct', options });
      assert.deepEqual(
        filter.patterns.map((p) => p.name),
        ['ip', 'user'],
      );
      assert.deepEqual(filter.match(row.line) ?? null, row.match);
    });
  }

  test('filter.match() of a struct filter reads numbers and booleans as JSON writes them', async () => {
    const fields = { code: { regex: '^<code>$' }, ok: { regex: '^false$' } };
    const filter = await filterOf(
      { code: { regex: '\\d+' } },
      { type: 'struct', options: { fields } },
    );
    assert.deepEqual(filter.match('{"code":403,"ok":false}'), ['403']);
    assert.equal(filter.match('{"code":403,"ok":true}'), undefined);
  });
});

/** What scan() finds in a block: every match, in order. */
function scanned(filter: Filter, block: string): (readonly string[])[] {
  const found: (readonly string[])[] = [];
  filter.scan(block, (values) => found.push(values));
  return found;
}

/** The row's line three times in a block, with "\r\n" once, between lines that match nothing. */
function blockOf(line: string): string {
  return `${line}\nnothing here\r\n${line}\r\n\nx\n${line}`;
}

/** The same regex with no literal every match must hold: an alternative that never matches. */
function literalFree(regex: string): string {
  return `(?:${regex}|\\b\\B)`;
}

describe('filter.scan()', () => {
  for (const row of ROWS) {
    test(`filter.scan() gives ${row.name}, for each line of a block that holds it`, async () => {
      const filter = await filterOf(row.patterns, { regex: row.regex });
      const expected = row.match === null ? [] : [row.match, row.match, row.match];
      assert.deepEqual(scanned(filter, blockOf(row.line)), expected);
    });
  }
});

describe('filter.scan() of regexes without a literal', () => {
  for (const row of ROWS) {
    test(`filter.scan() gives ${row.name}, with every line of the block tried`, async () => {
      const filter = await filterOf(row.patterns, { regex: row.regex.map(literalFree) });
      for (const regex of filter.regexes) assert.equal(regex.engine.literal, null);
      const expected = row.match === null ? [] : [row.match, row.match, row.match];
      assert.deepEqual(scanned(filter, blockOf(row.line)), expected);
    });
  }

  test('filter.scan() tries every line when only one regex lacks a literal, first regex first', async () => {
    const filter = await filterOf(IP, { regex: ['from <ip>', '^<ip>$'] });
    assert.deepEqual(
      filter.regexes.map((r) => r.engine.literal),
      ['from ', null],
    );
    const block = '1.2.3.4\nfrom 5.6.7.8\r\n9.9.9.9 x\n10.1.1.1\r\nfrom 2001:db8::1';
    assert.deepEqual(scanned(filter, block), [
      ['1.2.3.4'],
      ['5.6.7.8'],
      ['10.1.1.1'],
      ['2001:db8::1'],
    ]);
  });
});

describe('filter.scan() with literals', () => {
  test('filter.scan() runs only the regexes whose literal the line holds, in order', async () => {
    const filter = await filterOf(IP, { regex: ['from <ip>', 'via <ip>', 'to <ip>'] });
    const block = [
      'via 1.2.3.4',
      'to 5.6.7.8 from 9.9.9.9',
      'to 10.0.0.1 via 10.0.0.2',
      'from nowhere via 10.0.0.3',
      'nothing',
      'to 10.0.0.4',
    ].join('\n');
    assert.deepEqual(scanned(filter, block), [
      ['1.2.3.4'],
      ['9.9.9.9'],
      ['10.0.0.2'],
      ['10.0.0.3'],
      ['10.0.0.4'],
    ]);
  });

  test('filter.scan() finds a line once whatever number of literals it holds', async () => {
    const filter = await filterOf(IP, { regex: ['from <ip>', 'from <ip> via', 'via <ip>'] });
    const block = 'from 1.2.3.4 via 5.6.7.8 via 9.9.9.9 from 2.2.2.2\nfrom 3.3.3.3';
    assert.deepEqual(scanned(filter, block), [['1.2.3.4'], ['3.3.3.3']]);
  });

  test('filter.scan() of a block without any literal finds nothing, and of an empty block', async () => {
    const filter = await filterOf(IP, { regex: ['from <ip>'] });
    assert.deepEqual(scanned(filter, '1.2.3.4\nvia 5.6.7.8'), []);
    assert.deepEqual(scanned(filter, ''), []);
  });
});

describe('filter.scan() of a struct filter', () => {
  test('filter.scan() of a struct filter matches every JSON line of a block', async () => {
    const patterns = { ip: { type: 'ip', ignore: ['127.0.0.1'] } };
    const options = { fields: { 'client.ip': { regex: '^<ip>$' } } };
    const filter = await filterOf(patterns, { type: 'struct', options });
    const block = [
      '{"client":{"ip":"1.2.3.4"}}',
      'not json',
      '{"client":{"ip":"127.0.0.1"}}\r',
      '{"client":{"ip":"2001:DB8::1"}}\r',
      '{"client":{}}',
      '{"client":{"ip":"5.6.7.8"}}',
    ].join('\n');
    assert.deepEqual(scanned(filter, block), [['1.2.3.4'], ['2001:db8::1'], ['5.6.7.8']]);
  });
});
