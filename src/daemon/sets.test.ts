// The kernel-set writer trusts no caller: kernelValue() is the only text a script gets for
// a value, as a table of (value, text written or refused); a refused value fails its action
// without reaching nft or ipset.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SetAction } from '../concepts/action.js';
import type { Config } from '../concepts/config.js';
import { nftPorts, xtRules } from './firewall.js';
import { KernelSets, kernelValue } from './sets.js';

const rows: readonly [value: string, written: string | undefined][] = [
  ['192.0.2.1', '192.0.2.1'],
  ['2001:DB8:0::1', '2001:db8::1'],
  ['::ffff:192.0.2.1', '192.0.2.1'],
  ['192.0.2.0/24', '192.0.2.0/24'],
  ['192.0.2.7/24', '192.0.2.0/24'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::/64'],
  ['192.0.2.1 } ; add table ip pwned', undefined],
  ['192.0.2.1\nflush ruleset', undefined],
  ['not-an-ip', undefined],
  ['192.0.2.0/33', undefined],
  ['192.0.2.0/24/8', undefined],
  ['::ffff:10.0.0.0/104', undefined],
  ['', undefined],
];

for (const [value, written] of rows) {
  test(`kernelValue(${JSON.stringify(value)}) writes ${JSON.stringify(written)}`, () => {
    assert.equal(kernelValue(value)?.text, written);
  });
}

test('KernelSets.apply() refuses a value that is not an address, and says the action failed', () => {
  const sets = new KernelSets({ streams: [] } as unknown as Config);
  const action = {
    type: 'nftables',
    set: 'bans',
    add: true,
    pattern: 0,
    families: ['ipv4'],
    chains: ['input'],
    target: 'drop',
    ports: [],
    protocols: [],
    options: {},
  } satisfies SetAction;
  const outcomes: boolean[] = [];
  sets.apply(action, '192.0.2.1 } ; flush ruleset', (ok) => outcomes.push(ok));
  sets.apply(action, '2001:db8::1', (ok) => outcomes.push(ok));
  assert.deepEqual(outcomes, [false, true]);
});

test('nftPorts() matches every packet without ports, else the protocol and its destination ports', () => {
  const ports = [[22, 22] as const, [8000, 8080] as const];
  assert.deepEqual(nftPorts({ ports: [], protocols: [] }), []);
  assert.deepEqual(nftPorts({ ports: [], protocols: ['udp'] }), ['meta l4proto udp']);
  assert.deepEqual(nftPorts({ ports, protocols: ['tcp'] }), ['tcp dport { 22, 8000-8080 }']);
  assert.deepEqual(nftPorts({ ports, protocols: ['tcp', 'udp'] }), [
    'meta l4proto { tcp, udp }',
    'th dport { 22, 8000-8080 }',
  ]);
});

test('xtRules() writes one rule per protocol and per 15 ports, a range counting as two', () => {
  const target = 'DROP';
  const set = ['-m', 'set', '--match-set', 'bans', 'src', '-j', 'DROP'];
  assert.deepEqual(xtRules({ ports: [], protocols: [], target }, 'bans'), [set]);
  const many = Array.from({ length: 14 }, (_, i) => [100 + i, 100 + i] as const);
  const rules = xtRules(
    { ports: [...many, [2000, 2010]], protocols: ['tcp', 'udp'], target },
    'bans',
  );
  const first = many.map(([p]) => p).join(',');
  assert.deepEqual(rules, [
    ['-p', 'tcp', '-m', 'multiport', '--dports', first, ...set],
    ['-p', 'tcp', '-m', 'multiport', '--dports', '2000:2010', ...set],
    ['-p', 'udp', '-m', 'multiport', '--dports', first, ...set],
    ['-p', 'udp', '-m', 'multiport', '--dports', '2000:2010', ...set],
  ]);
});
