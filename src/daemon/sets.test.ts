// The kernel-set writer trusts no caller: kernelValue() is the only text a script gets for
// a value, as a table of (value, text written or refused); a refused value fails its action
// without reaching nft or ipset.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SetAction } from '../concepts/action.js';
import type { Config } from '../concepts/config.js';
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
