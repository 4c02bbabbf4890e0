// End-to-end: a reload of the built-in `nftables` and `ipset` types, riposte in a network
// namespace of its own with the real nft, ipset and iptables: a set whose options changed is
// made again with the addresses it holds (and its rules follow), a set no longer used is
// destroyed, a new one is created; pending unbans and counts are kept, new bans go on, the
// metrics count each set's addresses, and the stop leaves nothing.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { type TestContext, test } from 'node:test';
import { type Config, type Daemon, PATTERNS, type Sandbox, sandbox } from '../daemon/harness.js';
import { missing } from '../tools.js';

type Kind = 'nftables' | 'ipset';

function cannot(tools: readonly string[]): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and firewall rules)';
  return missing(['ip', ...tools]);
}

/** A network namespace of the test's own, removed when it ends. */
function namespace(t: TestContext): string {
  const ns = `rip-r-${randomBytes(3).toString('hex')}`;
  const made = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  t.after(() => spawnSync('ip', ['netns', 'del', ns]));
  return ns;
}

function inside(ns: string, argv: readonly string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Sets and their members as the kernel lists them: name → sorted members. */
function sets(ns: string, kind: Kind): Record<string, string[]> {
  if (kind === 'nftables') {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'inet', 'riposte'],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) return {};
    const listing = JSON.parse(r.stdout) as {
      nftables: { set?: { name: string; elem?: unknown[] } }[];
    };
    return Object.fromEntries(
      listing.nftables
        .flatMap((i) => (i.set === undefined ? [] : [i.set]))
        .map((s) => [s.name, (s.elem ?? []).map(String).sort()]),
    );
  }
  const saved = inside(ns, ['ipset', 'save']).split('\n');
  const found: Record<string, string[]> = {};
  for (const line of saved) {
    const [verb, name, member] = line.split(' ');
    if (verb === 'create') found[name!] ??= [];
    if (verb === 'add') found[name!] = [...(found[name!] ?? []), member!].sort();
  }
  return found;
}

/** The drop rules: nft `ip saddr @set drop` per hook, or iptables `--match-set` rules per chain. */
function rules(ns: string, kind: Kind): string[] {
  if (kind === 'nftables') {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', 'riposte'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) return [];
    const found: string[] = [];
    let chain = '';
    for (const line of r.stdout.split('\n').map((l) => l.trim())) {
      const c = /^chain (\w+) \{$/.exec(line)?.[1];
      if (c !== undefined) chain = c;
      if (line.includes('saddr @')) found.push(`${chain}: ${line}`);
    }
    return found.sort();
  }
  const v4 = inside(ns, ['iptables', '-w', '-S']).split('\n');
  const v6 = inside(ns, ['ip6tables', '-w', '-S']).split('\n');
  return [...v4, ...v6.map((l) => `v6 ${l}`)].filter((l) => l.includes('--match-set')).sort();
}

/** Filter f bans in set `bans` (version `version`) and unbans an hour later; filter g uses `other`. */
function config(
  sb: Sandbox,
  kind: Kind,
  o: { version: string; hooks: string[]; other: string },
): Config {
  const chainKey = kind === 'nftables' ? 'hooks' : 'chains';
  const chains = kind === 'nftables' ? o.hooks : o.hooks.map((h) => h.toUpperCase());
  const bans = { set: 'bans', version: o.version, [chainKey]: chains };
  const del = kind === 'nftables' ? 'delete' : 'del';
  return sb.fifoConfig(
    {
      f: {
        regex: ['fail <ip>'],
        actions: {
          ban: { type: kind, options: bans },
          unban: { type: kind, options: { ...bans, action: del }, after: '1h' },
        },
      },
      g: {
        regex: ['other <ip>'],
        actions: { ban: { type: kind, options: { set: o.other, version: 'ipv4' } } },
      },
    },
    { patterns: PATTERNS, metrics: { listen: sb.path('metrics.sock') } },
  );
}

/** `riposte_kernel_set_addresses` of each set, as a scrape of the metrics socket gives it. */
async function addressesMetric(sb: Sandbox): Promise<Record<string, number>> {
  const body = await new Promise<string>((resolve, reject) => {
    get({ socketPath: sb.path('metrics.sock'), path: '/metrics' }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (t: string) => {
        text += t;
      });
      response.on('end', () => resolve(text));
    }).on('error', reject);
  });
  const found: Record<string, number> = {};
  for (const m of body.matchAll(/^riposte_kernel_set_addresses\{type="\w+",set="(\w+)"\} (\d+)$/gm))
    found[m[1]!] = Number(m[2]);
  return found;
}

async function banned(daemon: Daemon, sb: Sandbox, count: number): Promise<void> {
  await sb.settle(daemon);
  const r = await sb.cli('status', '-f', 'json');
  const started = (JSON.parse(r.stdout) as { actions: { started: number } }).actions.started;
  assert.ok(started >= count, `${started} actions started, ${count} expected`);
}

async function scenario(t: TestContext, kind: Kind): Promise<void> {
  const sb = sandbox(t);
  const ns = namespace(t);
  const input = sb.fifo();
  const first = { version: 'ip', hooks: ['input', 'forward'], other: 'old' };
  const daemon = await sb.started(config(sb, kind, first), { netns: ns });
  input.write('fail 192.0.2.1', 'fail 192.0.2.2', 'fail 2001:db8::1', 'other 198.51.100.1');
  await sb.mark(input, daemon);
  await banned(daemon, sb, 5);
  assert.deepEqual(sets(ns, kind), {
    bansv4: ['192.0.2.1', '192.0.2.2'],
    bansv6: ['2001:db8::1'],
    old: ['198.51.100.1'],
  });
  assert.deepEqual(await addressesMetric(sb), { bansv4: 2, bansv6: 1, old: 1 });
  const pending = await sb.show();
  // A reload that changes nothing leaves the sets as they are, their members too.
  const same = await sb.cli('reload');
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /\n {2}nothing changed\n$/);
  assert.equal(Object.keys(sets(ns, kind)).length, 3);
  assert.deepEqual(sets(ns, kind)['bansv4'], ['192.0.2.1', '192.0.2.2']);
  // bans becomes IPv4 only (one set, "bans", with bansv4's members), on the input hook only;
  // g moves from set old to set new.
  sb.writeConfig(config(sb, kind, { version: 'ipv4', hooks: ['input'], other: 'new' }));
  const applied = await sb.cli('reload');
  assert.equal(applied.code, 0, applied.stderr);
  for (const line of [
    `  ${kind} set new created`,
    `  ${kind} set bans made again with its members (version, masks, chains, target, ports or protocol changed)`,
    `  ${kind} set old removed`,
  ])
    assert.ok(applied.stdout.split('\n').includes(line), `${line}\n${applied.stdout}`);
  assert.deepEqual(sets(ns, kind), { bans: ['192.0.2.1', '192.0.2.2'], new: [] });
  assert.deepEqual(await addressesMetric(sb), { bans: 2, new: 0 });
  const after = rules(ns, kind);
  if (kind === 'nftables') {
    assert.deepEqual(
      after,
      [
        'input: ip saddr @bans drop',
        'input: ip saddr @new drop',
        'forward: ip saddr @new drop',
      ].sort(),
    );
  } else {
    assert.deepEqual(after, [
      '-A FORWARD -m set --match-set new src -j DROP',
      '-A INPUT -m set --match-set bans src -j DROP',
      '-A INPUT -m set --match-set new src -j DROP',
    ]);
  }
  // The pending unbans and their due times are those of before; bans go on in the new set.
  assert.deepEqual(await sb.show(), pending);
  input.write('fail 192.0.2.3', 'other 198.51.100.2');
  await sb.mark(input, daemon);
  await banned(daemon, sb, 8);
  assert.deepEqual(sets(ns, kind), {
    bans: ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
    new: ['198.51.100.2'],
  });
  await sb.cli('flush', 'ip=192.0.2.1');
  await sb.settle(daemon);
  assert.deepEqual(sets(ns, kind)['bans'], ['192.0.2.2', '192.0.2.3']);
  assert.deepEqual(await addressesMetric(sb), { bans: 2, new: 1 });
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  assert.deepEqual(sets(ns, kind), {});
  assert.deepEqual(rules(ns, kind), []);
}

test(
  'nftables: a reload makes a changed set again with its addresses, destroys an unused one, creates a new one',
  {
    skip: cannot(['nft']),
  },
  (t) => scenario(t, 'nftables'),
);

test(
  'ipset: a reload makes a changed set again with its addresses, destroys an unused one, creates a new one',
  {
    skip: cannot(['ipset', 'iptables', 'ip6tables']),
  },
  (t) => scenario(t, 'ipset'),
);
