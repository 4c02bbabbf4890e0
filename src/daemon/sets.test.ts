// The kernel-set writer trusts no caller: kernelValue() is the only text a script gets for
// a value, as a table of (value, text written or refused); a refused value fails its action
// without reaching nft or ipset. Sets hold networks only where a pattern masks them; a
// batch the kernel refuses is halved down to the values it refuses.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SetAction } from '../concepts/action.js';
import { type Config, loadConfig } from '../concepts/config.js';
import { nftPorts, nftRuleset, nftStatements, type SetChange, type SetSpec } from './firewall.js';
import { xtRules } from './ipsets.js';
import { agreedMembers } from './set-members.js';
import { BATCH, KernelSets, kernelValue, setSpecs } from './sets.js';

const rows: readonly [value: string, written: string | undefined][] = [
  ['192.0.2.1', '192.0.2.1'],
  ['2001:DB8:0::1', '2001:db8::1'],
  ['::ffff:192.0.2.1', '192.0.2.1'],
  ['192.0.2.0/24', '192.0.2.0/24'],
  ['192.0.2.7/24', '192.0.2.0/24'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::/64'],
  ['192.0.2.7/32', '192.0.2.7'],
  ['2001:db8::1/128', '2001:db8::1'],
  ['0.0.0.0/0', '0.0.0.0/0'],
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

const ACTION = {
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

test('KernelSets.apply() refuses a value that is not an address, and says the action failed', () => {
  const sets = new KernelSets({ streams: [] } as unknown as Config);
  const action = ACTION;
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

/** The configuration of one filter banning into nftables set `bans`, its pattern masked as given. */
async function configOf(ip: Record<string, unknown>): Promise<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'sets-test-'));
  try {
    const file = join(dir, 'riposte.json');
    const actions = { ban: { type: 'nftables', options: { set: 'bans' } } };
    const filters = { f: { regex: ['from <ip>'], actions } };
    const config = { patterns: { ip }, streams: { s: { cmd: ['true'], filters } } };
    writeFileSync(file, JSON.stringify(config));
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok, JSON.stringify(loaded));
    return loaded.config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('setSpecs() says a set holds networks in the families its pattern masks, and only there', async () => {
  const specs = async (ip: Record<string, unknown>) => setSpecs(await configOf(ip))[0]?.networks;
  assert.deepEqual(await specs({ type: 'ip' }), []);
  assert.deepEqual(await specs({ type: 'ip', ipv6mask: 64 }), ['ipv6']);
  assert.deepEqual(await specs({ type: 'ip', ipv4mask: 24, ipv6mask: 128 }), ['ipv4']);
  assert.deepEqual(await specs({ type: 'ipv4', ipv4mask: 16 }), ['ipv4']);
});

test('nftRuleset() gives flags interval to the sets that hold networks, or that it is told to', () => {
  const spec: SetSpec = { ...ACTION, families: ['ipv4', 'ipv6'], networks: ['ipv6'] };
  const sets = (text: string) => text.split('\n').filter((l) => l.includes(' set '));
  assert.deepEqual(sets(nftRuleset([spec])), [
    '  set bansv4 { type ipv4_addr; }',
    '  set bansv6 { type ipv6_addr; flags interval; }',
  ]);
  assert.deepEqual(sets(nftRuleset([{ ...spec, networks: [] }], new Set(['bansv4']))), [
    '  set bansv4 { type ipv4_addr; flags interval; }',
    '  set bansv6 { type ipv6_addr; }',
  ]);
});

test('nftStatements() writes each run of changes of one kind to one set as one statement, in order', () => {
  const op = (add: boolean, kernelSet: string, value: string): SetChange => ({
    add,
    kernelSet,
    value,
  });
  const batch = [
    op(true, 'bansv4', '192.0.2.1'),
    op(true, 'bansv4', '192.0.2.2'),
    op(true, 'bansv6', '2001:db8::1'),
    op(false, 'bansv4', '192.0.2.1'),
    op(true, 'bansv4', '192.0.2.1'),
  ];
  assert.equal(
    nftStatements(batch),
    [
      'add element inet riposte bansv4 { 192.0.2.1, 192.0.2.2 }',
      'add element inet riposte bansv6 { 2001:db8::1 }',
      'delete element inet riposte bansv4 { 192.0.2.1 }',
      'add element inet riposte bansv4 { 192.0.2.1 }',
      '',
    ].join('\n'),
  );
  assert.equal(nftStatements([]), '');
});

test('KernelSets.apply() refuses a network for a set that holds none, and sends it to one that does', async () => {
  const sent: string[] = [];
  const apply = async (_: unknown, batch: readonly SetChange[]) => {
    sent.push(...batch.map((c) => `${c.kernelSet} ${c.value}`));
  };
  const outcomes: boolean[] = [];
  const plain = new KernelSets(await configOf({ type: 'ip' }), { apply });
  plain.apply({ ...ACTION, families: ['ipv4', 'ipv6'] }, '192.0.2.0/24', (ok) => outcomes.push(ok));
  const masked = new KernelSets(await configOf({ type: 'ip', ipv4mask: 24 }), { apply });
  const done = new Promise<void>((resolve) =>
    masked.apply({ ...ACTION, families: ['ipv4', 'ipv6'] }, '192.0.2.0/24', (ok) => {
      outcomes.push(ok);
      resolve();
    }),
  );
  await done;
  assert.deepEqual(outcomes, [false, true]);
  assert.deepEqual(sent, ['bansv4 192.0.2.0/24']);
});

test('a batch the kernel refuses is halved until the refused values are found; the others apply', async () => {
  const bad = new Set(['10.0.3.7', '10.0.50.1']);
  let processes = 0;
  let largest = 0;
  const apply = async (_: unknown, batch: readonly SetChange[]) => {
    processes++;
    largest = Math.max(largest, batch.length);
    if (batch.some((c) => bad.has(c.value))) throw new Error('refused');
  };
  const sets = new KernelSets(await configOf({ type: 'ipv4' }), { apply });
  const n = BATCH + 4000;
  const outcomes = new Map<string, boolean>();
  await new Promise<void>((resolve) => {
    for (let i = 0; i < n; i++) {
      const value = `10.0.${i >> 8}.${i & 255}`;
      sets.apply(ACTION, value, (ok) => {
        outcomes.set(value, ok);
        if (outcomes.size === n) resolve();
      });
    }
  });
  const refused = [...outcomes].filter(([, ok]) => !ok).map(([v]) => v);
  assert.deepEqual(refused.sort(), [...bad].sort());
  assert.equal(largest, BATCH);
  // Two batches; each refused value costs about 2 × log2(BATCH) processes, not one per value.
  assert.ok(processes <= 2 + 2 * 2 * Math.ceil(Math.log2(BATCH)), `${processes} processes`);
  assert.equal(sets.addresses()[0]?.addresses, n - bad.size);
});

/** An `nft -j list table` answer whose set bansv4 lists `elements`. */
function listing(elements: readonly string[]): string {
  const set = {
    family: 'inet',
    name: 'bansv4',
    table: 'riposte',
    type: 'ipv4_addr',
    elem: elements,
  };
  return JSON.stringify({ nftables: [{ table: { family: 'inet', name: 'riposte' } }, { set }] });
}

test('agreedMembers() lists again until two listings agree: one taken during a resize repeats and skips', async () => {
  const answers = [
    listing(['192.0.2.1', '192.0.2.1', '192.0.2.3']),
    listing(['192.0.2.1', '192.0.2.2', '192.0.2.3']),
    listing(['192.0.2.3', '192.0.2.2', '192.0.2.1']),
  ];
  let calls = 0;
  const members = await agreedMembers(async () => answers[calls++]!);
  assert.deepEqual([...members.get('bansv4')!].sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.equal(calls, 3);
});

test('agreedMembers() carries every element listed when no two listings agree', async () => {
  let calls = 0;
  const members = await agreedMembers(async () => listing([`192.0.2.${++calls}`]));
  assert.deepEqual([...members.get('bansv4')!].sort(), [
    '192.0.2.1',
    '192.0.2.2',
    '192.0.2.3',
    '192.0.2.4',
    '192.0.2.5',
  ]);
  assert.equal(calls, 5);
});
