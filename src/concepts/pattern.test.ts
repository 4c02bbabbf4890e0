// Pattern.accept(): a text from outside a capture (`trigger`, the state file) is a value
// only if the pattern's fragment matches it whole, as tables of (pattern, text, outcome);
// value() stays the hot path's, which trusts what its regex captured; and the pattern rules
// that loadConfig() reports as warnings rather than errors (reaction accepts them).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Checker } from './check.js';
import { loadConfig } from './config.js';
import { buildPattern, type Pattern, type Valued } from './pattern.js';

function pattern(raw: Record<string, unknown>): Pattern {
  const c = new Checker(() => 'pattern');
  const built = buildPattern(c, ['patterns', 'p'], 'p', raw);
  assert.deepEqual(c.errors, []);
  return built!;
}

const rows: readonly [raw: Record<string, unknown>, text: string, outcome: Valued][] = [
  // A plain ip pattern, which value() takes on its fast path: nothing but an address.
  [{ type: 'ip' }, '192.0.2.1', { value: '192.0.2.1' }],
  [{ type: 'ip' }, 'not-an-ip', undefined],
  [{ type: 'ip' }, '1.2.3.4; rm -rf /', undefined],
  [{ type: 'ip' }, '$(id)', undefined],
  [{ type: 'ip' }, '1.2.3.4 } ; add table ip pwned', undefined],
  [{ type: 'ip' }, '01.2.3.4', undefined],
  [{ type: 'ip' }, '1.2.3.4\n', undefined],
  [{ type: 'ip' }, '1.2.3.0/24', undefined],
  [{ type: 'ip' }, '2001:DB8::1', { value: '2001:db8::1' }],
  [{ type: 'ip' }, '::ffff:192.0.2.1', { value: '192.0.2.1' }],
  [{ type: 'ipv4' }, '2001:db8::1', undefined],
  [{ type: 'ipv6' }, '192.0.2.1', undefined],
  // A masked pattern takes the networks it makes, and addresses (masked).
  [{ type: 'ip', ipv4mask: 24 }, '192.0.2.7', { value: '192.0.2.0/24' }],
  [{ type: 'ip', ipv4mask: 24 }, '192.0.2.0/24', { value: '192.0.2.0/24' }],
  [{ type: 'ip', ipv4mask: 24 }, '192.0.2.7/24', { value: '192.0.2.0/24' }],
  [{ type: 'ip', ipv4mask: 24 }, '192.0.2.0/16', undefined],
  [{ type: 'ip', ipv4mask: 24 }, '192.0.2.0/24; x', undefined],
  [{ type: 'ip', ipv6mask: 64 }, '2001:db8:1:2::/64', { value: '2001:db8:1:2::/64' }],
  [{ type: 'ip', ipv6mask: 64 }, '192.0.2.0/24', undefined],
  [{ type: 'ip', ignorecidr: ['10.0.0.0/8'] }, '10.1.2.3', { ignoredBy: 'ignorecidr' }],
  // A regex pattern: whole match of the fragment, then the ignore rules.
  [{ regex: '[a-z]+' }, 'bob', { value: 'bob' }],
  [{ regex: '[a-z]+' }, 'bob eve', undefined],
  [{ regex: '[a-z]+' }, 'bob\n', undefined],
  [{ regex: '[a-z]+', ignore: ['root'] }, 'root', { ignoredBy: 'ignore: root' }],
  [{ regex: '\\S+', ignoreregex: ['adm.*'] }, 'admin', { ignoredBy: 'ignoreregex[0]' }],
  [{ regex: 'a|b' }, 'ab', undefined],
];

for (const [raw, text, outcome] of rows) {
  test(`accept(${JSON.stringify(text)}) of ${JSON.stringify(raw)} is ${JSON.stringify(outcome)}`, () => {
    assert.deepEqual(pattern(raw).accept(text), outcome);
  });
}

test('value() takes what the built-in IPv4 regex captured as it is, accept() does not', () => {
  const p = pattern({ type: 'ip' });
  assert.deepEqual(p.value('192.0.2.1'), { value: '192.0.2.1' });
  assert.equal(p.accept('192.0.2.1; x'), undefined);
});

test('a pattern with a regex at risk warns at its key path, ignoreregex at its index', () => {
  const c = new Checker(() => 'here');
  buildPattern(c, ['patterns', 'user'], 'user', { regex: '(a|aa)+', ignoreregex: ['x', '(a+)+b'] });
  assert.deepEqual(
    c.warnings.map((w) => w.message.slice(0, w.message.indexOf(': at risk: '))),
    ['patterns.user.ignoreregex[1]', 'patterns.user.regex'],
  );
  assert.match(c.warnings[0]!.message, /riposte matches every value with its linear-time engine/);
});

test('loadConfig() accepts a pattern that can match the empty string, with a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.yml');
    writeFileSync(
      file,
      `patterns:
  all: {regex: '.*'}
  user: {regex: '[a-z]*', ignoreregex: ['.*']}
  ip: {type: ip}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['^<all>$'], actions: {a: {cmd: [echo, '--', '<all>']}}}
`,
    );
    const loaded = await loadConfig(file);
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
    assert.deepEqual(
      loaded.warnings.map((w) => `${w.place.replace(`${dir}/`, '')}: ${w.message}`),
      [
        'c.yml:2:16: patterns.all.regex: can match the empty string: a line where <all> captures nothing counts under the empty value "", and actions get "" in its place',
        'c.yml:3:17: patterns.user.regex: can match the empty string: a line where <user> captures nothing counts under the empty value "", and actions get "" in its place',
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
