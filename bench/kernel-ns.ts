// The kernel side of the kernel benchmark: a network namespace of its own per run, seeded
// random addresses (IPv4 and IPv6, spread over the whole space, distinct, unsorted), what the
// sets of table `inet riposte` or the ipsets hold, and the reference loads (`nft -f`,
// `ipset restore` of the same addresses). Receives sizes and address lists; sends timings.

import { spawnSync } from 'node:child_process';
import { canonicalIp, familyOf } from '../src/lib/ip.js';
import { agreedMembers, ipsetMembers } from '../src/daemon/set-members.js';

export type Kind = 'nftables' | 'ipset';

/** A network namespace, removed by `remove()`; commands run in it with `exec`. */
export class Netns {
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** A fresh namespace, or undefined when `ip netns add` fails (not root, no netns). */
  static create(label: string): Netns | undefined {
    const name = `riposte-kernel-${process.pid}-${label}`;
    spawnSync('ip', ['netns', 'del', name]);
    return spawnSync('ip', ['netns', 'add', name]).status === 0 ? new Netns(name) : undefined;
  }

  /** Runs argv in the namespace; throws with its stderr when it fails. */
  exec(argv: readonly string[], input = ''): string {
    const r = spawnSync('ip', ['netns', 'exec', this.name, ...argv], {
      input,
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim() || r.error}`);
    return r.stdout;
  }

  /** Seconds `argv` takes, fed `input`, spawned in the namespace. */
  time(argv: readonly string[], input: string): number {
    const start = performance.now();
    this.exec(argv, input);
    return (performance.now() - start) / 1000;
  }

  remove(): void {
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/** xorshift32: the same addresses for the same seed, on every machine. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** `n` distinct canonical addresses, half IPv4, half IPv6, in the order they were drawn. */
export function randomAddresses(n: number, seed = 20_261_202): string[] {
  const next = generator(seed);
  const seen = new Set<string>();
  const out: string[] = [];
  const left = { ipv4: Math.ceil(n / 2), ipv6: Math.floor(n / 2) };
  while (out.length < n) {
    const family = left.ipv6 === 0 || (left.ipv4 > 0 && next() & 1) ? 'ipv4' : 'ipv6';
    const text =
      family === 'ipv4'
        ? [24, 16, 8, 0].map((s) => (next() >>> s) & 255).join('.')
        : Array.from({ length: 4 }, () => next().toString(16).padStart(8, '0'))
            .join('')
            .replace(/(.{4})(?!$)/g, '$1:');
    const address = canonicalIp(text);
    if (address === undefined || familyOf(address) !== family || seen.has(address)) continue;
    seen.add(address);
    out.push(address);
    left[family]--;
  }
  return out;
}

/**
 * Every address the kernel sets of a kind hold now, canonical (none when there is no set).
 * nftables is listed as riposte lists it, until two listings agree: one taken while the
 * kernel resizes a hash set repeats some elements and skips others.
 */
export async function kernelMembers(ns: Netns, kind: Kind): Promise<string[]> {
  let members: string[];
  try {
    if (kind === 'nftables') {
      const list = async () => ns.exec(['nft', '-j', 'list', 'table', 'inet', 'riposte']);
      members = [...(await agreedMembers(list)).values()].flat();
    } else {
      const saved = ns.exec(['ipset', 'save']);
      const names = [...saved.matchAll(/^create (\S+) /gm)].map((m) => m[1]!);
      members = names.flatMap((name) => ipsetMembers(saved, name));
    }
  } catch {
    return [];
  }
  return members.map((m) => canonicalIp(m.replace(/\/(32|128)$/, '')) ?? m);
}

/** "100,000 = expected", or what differs between the kernel's members and `expected`. */
export function compareMembers(members: readonly string[], expected: readonly string[]): string {
  const held = new Set(members);
  const missing = expected.filter((a) => !held.has(a)).length;
  const want = new Set(expected);
  const extra = members.filter((a) => !want.has(a)).length;
  if (missing === 0 && extra === 0 && members.length === expected.length)
    return `the kernel holds exactly the ${expected.length.toLocaleString('en-US')} addresses`;
  return `the kernel holds ${members.length.toLocaleString('en-US')}: ${missing} missing, ${extra} not expected`;
}

function byFamily(addresses: readonly string[]): Record<'ipv4' | 'ipv6', string[]> {
  const out = { ipv4: [] as string[], ipv6: [] as string[] };
  for (const a of addresses) out[familyOf(a)].push(a);
  return out;
}

/**
 * The reference nft scripts: table `inet bench` with one set per family, of the flags
 * `setLine` gives, then the addresses added (or deleted), a thousand per statement.
 */
export function nftScripts(addresses: readonly string[], setLine: (v6: boolean) => string) {
  const families = byFamily(addresses);
  const statements = (verb: string) =>
    (['ipv4', 'ipv6'] as const)
      .flatMap((f) => {
        const list = families[f];
        const lines: string[] = [];
        for (let i = 0; i < list.length; i += 1000)
          lines.push(`${verb} element inet bench ${f} { ${list.slice(i, i + 1000).join(', ')} }`);
        return lines;
      })
      .join('\n');
  const table = `table inet bench {\n  set ipv4 { ${setLine(false)} }\n  set ipv6 { ${setLine(true)} }\n}\n`;
  return { create: table, add: `${table}${statements('add')}\n`, del: `${statements('delete')}\n` };
}

/** The reference ipset restore files: a set per family of `type`, then add (or del) lines. */
export function ipsetScripts(addresses: readonly string[], type: string) {
  const families = byFamily(addresses);
  const create = `create bench4 ${type} family inet maxelem 1000000\ncreate bench6 ${type} family inet6 maxelem 1000000\n`;
  const lines = (verb: string) =>
    [
      ...families.ipv4.map((a) => `${verb} bench4 ${a}`),
      ...families.ipv6.map((a) => `${verb} bench6 ${a}`),
    ].join('\n');
  return { create, add: `${create}${lines('add')}\n`, del: `${lines('del')}\n` };
}
