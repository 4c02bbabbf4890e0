// The commands that make, change and remove riposte's kernel sets and the rules that make
// them drop traffic (every packet of a listed address, or only its ports): nft scripts for
// table `inet riposte`, the batches of both types, and the commands' runner (the ipsets and
// their iptables rules are in ipsets.ts). Owns
// nothing; receives set definitions and batches of additions and deletions; sends them to
// the kernel, and rejects with the command's stderr when it refuses.

import { execFile, spawn } from 'node:child_process';
import type { PortRange } from '../concepts/kernel-names.js';
import type { IpFamily } from '../lib/ip.js';
import { log } from '../lib/log.js';
import { agreedMembers, nftElementLines } from './set-members.js';

export const TABLE = 'riposte';

export interface SetSpec {
  readonly type: 'nftables' | 'ipset';
  readonly set: string;
  readonly families: readonly IpFamily[];
  /**
   * The families whose set may hold networks (a pattern of its actions masks them): only
   * those nftables sets are made with `flags interval`, which costs every batch a listing.
   */
  readonly networks: readonly IpFamily[];
  readonly chains: readonly string[];
  readonly target: string;
  readonly ports: readonly PortRange[];
  readonly protocols: readonly string[];
}

export type SetType = 'nftables' | 'ipset';

/** One address to add to, or delete from, a kernel set. */
export interface SetChange {
  readonly add: boolean;
  readonly kernelSet: string;
  readonly value: string;
}

/** The kernel name of a set for a family: the name itself, or with a v4/v6 suffix when it has both. */
export function kernelSetName(
  spec: { set: string; families: readonly IpFamily[] },
  family: IpFamily,
): string {
  return spec.families.length > 1 ? `${spec.set}${family === 'ipv4' ? 'v4' : 'v6'}` : spec.set;
}

export function applyBatch(type: 'nftables' | 'ipset', batch: readonly SetChange[]): Promise<void> {
  if (type === 'nftables') {
    const script = nftStatements(batch);
    return run(['nft', '-f', '-'], script, `update nftables sets (${batch.length} addresses)`);
  }
  const script = batch
    .map((op) => `${op.add ? 'add' : 'del'} ${op.kernelSet} ${op.value}\n`)
    .join('');
  return run(['ipset', 'restore', '-exist'], script, `update ipsets (${batch.length} addresses)`);
}

/**
 * The batch as nft statements in its order: each run of changes of one kind to one set is a
 * statement listing its values (a thousand at most), which nft reads many times faster than
 * a statement per value.
 */
export function nftStatements(batch: readonly SetChange[]): string {
  const lines: string[] = [];
  let from = 0;
  for (let i = 1; i <= batch.length; i++) {
    const head = batch[from]!;
    const next = batch[i];
    if (next !== undefined && next.add === head.add && next.kernelSet === head.kernelSet) continue;
    const values = batch.slice(from, i).map((op) => op.value);
    lines.push(
      ...nftElementLines(head.add ? 'add' : 'delete', `inet ${TABLE} ${head.kernelSet}`, values),
    );
    from = i;
  }
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * The table, its sets and their rules. A set holds single addresses unless its spec says it
 * may hold networks, or `intervals` names it (a rebuild carrying networks into it).
 */
export function nftRuleset(
  specs: readonly SetSpec[],
  intervals: ReadonlySet<string> = new Set(),
): string {
  const lines = [`table inet ${TABLE}`, `delete table inet ${TABLE}`, `table inet ${TABLE} {`];
  const rules = new Map<string, string[]>();
  for (const spec of specs) {
    for (const family of spec.families) {
      const name = kernelSetName(spec, family);
      const flags = spec.networks.includes(family) || intervals.has(name) ? ' flags interval;' : '';
      lines.push(
        `  set ${name} { type ${family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr'};${flags} }`,
      );
      for (const hook of spec.chains) {
        const rule = [`${family === 'ipv4' ? 'ip' : 'ip6'} saddr @${name}`, ...nftPorts(spec)];
        rules.set(hook, [...(rules.get(hook) ?? []), [...rule, spec.target].join(' ')]);
      }
    }
  }
  for (const [hook, list] of rules) {
    lines.push(
      `  chain ${hook} {`,
      `    type filter hook ${hook} priority -10; policy accept;`,
      ...list.map((r) => `    ${r}`),
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * What an nftables rule matches beside the address: nothing (every packet), a protocol, or
 * destination ports (`tcp dport { 22, 8000-8080 }`, both protocols through `th dport`).
 */
export function nftPorts(spec: Pick<SetSpec, 'ports' | 'protocols'>): string[] {
  const ports = spec.ports.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`));
  const [only, ...others] = spec.protocols;
  if (only === undefined) return [];
  if (others.length === 0)
    return ports.length === 0
      ? [`meta l4proto ${only}`]
      : [`${only} dport { ${ports.join(', ')} }`];
  const protocols = `meta l4proto { ${spec.protocols.join(', ')} }`;
  return ports.length === 0 ? [protocols] : [protocols, `th dport { ${ports.join(', ')} }`];
}

export function sameSpec(a: SetSpec, b: SetSpec): boolean {
  return (
    JSON.stringify([a.families, a.networks, a.chains, a.target, a.ports, a.protocols]) ===
    JSON.stringify([b.families, b.networks, b.chains, b.target, b.ports, b.protocols])
  );
}

/** What a reload does to the sets of one type, one line each. */
export function specChanges(
  type: SetType,
  before: readonly SetSpec[],
  after: readonly SetSpec[],
): string[] {
  const lines: string[] = [];
  for (const spec of after) {
    const old = before.find((b) => b.set === spec.set);
    if (old === undefined) lines.push(`${type} set ${spec.set} created`);
    else if (!sameSpec(old, spec))
      lines.push(
        `${type} set ${spec.set} made again with its members (version, masks, chains, target, ports or protocol changed)`,
      );
  }
  for (const old of before)
    if (!after.some((a) => a.set === old.set)) lines.push(`${type} set ${old.set} removed`);
  return lines;
}

export function logFailure(error: Error): void {
  log('ERROR', error.message);
}

/** Runs a command and resolves with its stdout; rejects with its stderr when it fails. */
export function output(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else
        reject(
          new Error(`cannot list the sets: ${argv.join(' ')}: ${stderr.trim() || error.message}`),
        );
    });
  });
}

/** Runs a command with `input` on stdin; rejects with its stderr when it fails. */
export function run(argv: readonly string[], input: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr = (stderr + t).slice(-2048);
    });
    child.once('error', (error) =>
      reject(new Error(`cannot ${what}: ${argv[0]}: ${error.message}`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `cannot ${what}: ${argv.join(' ')} exited with status ${code}: ${stderr.trim().replaceAll('\n', ' | ')}`,
          ),
        );
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export async function rebuildNft(
  current: readonly SetSpec[],
  next: readonly SetSpec[],
): Promise<string[]> {
  const before = current.filter((s) => s.type === 'nftables');
  const after = next.filter((s) => s.type === 'nftables');
  const lines = specChanges('nftables', before, after);
  if (lines.length === 0) return [];
  if (after.length === 0) {
    await run(['nft', 'delete', 'table', 'inet', TABLE], '', 'remove the nftables table');
    return lines;
  }
  const members =
    before.length === 0
      ? new Map<string, string[]>()
      : await agreedMembers(() => output(['nft', '-j', 'list', 'table', 'inet', TABLE]));
  // A set that held networks keeps them (and its intervals) until a restart restores the bans.
  const intervals = new Set<string>();
  const carried = after.flatMap((spec) =>
    spec.families.flatMap((family) => {
      const old = before.find((b) => b.set === spec.set && b.families.includes(family));
      const elements = old === undefined ? [] : (members.get(kernelSetName(old, family)) ?? []);
      const name = kernelSetName(spec, family);
      if (elements.some((e) => /[/-]/.test(e))) intervals.add(name);
      return nftElementLines('add', `inet ${TABLE} ${name}`, elements);
    }),
  );
  const script = `${nftRuleset(after, intervals)}${carried.map((l) => `${l}\n`).join('')}`;
  await run(['nft', '-f', '-'], script, 'make the nftables sets again');
  return lines;
}
