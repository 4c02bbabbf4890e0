// The built-in "nftables" and "ipset" action types: owns the kernel sets they write to and
// the firewall rules that make those sets drop traffic. Receives add/delete requests from
// actions; sends them to the kernel in batches, one `nft -f -` or `ipset restore` process
// per batch rather than one process per ban. Creates the sets at start-up (empty: a restart
// applies again the bans still in effect) with rules that match every packet of a listed
// address or only its ports, and removes them at shutdown. Nothing reaches a script that is
// not a canonical address or network, or a name or number of the closed grammar of
// kernel-names.ts, whatever its caller checked.

import { spawn } from 'node:child_process';
import type { SetAction } from '../concepts/action.js';
import type { Config } from '../concepts/config.js';
import {
  chainError,
  type PortRange,
  portRangeError,
  protocolError,
  setNameError,
  targetError,
} from '../concepts/kernel-names.js';
import { canonicalIp, cidrError, familyOf, type IpFamily, maskIp } from '../lib/ip.js';
import { log, quote } from '../lib/log.js';

const TABLE = 'riposte';

interface SetSpec {
  readonly type: 'nftables' | 'ipset';
  readonly set: string;
  readonly families: readonly IpFamily[];
  readonly chains: readonly string[];
  readonly target: string;
  readonly ports: readonly PortRange[];
  readonly protocols: readonly string[];
}

interface Operation {
  readonly add: boolean;
  readonly kernelSet: string;
  /** Canonical address or network: see kernelValue(). */
  readonly value: string;
  readonly done: (ok: boolean) => void;
}

/** The kernel name of a set for a family: the name itself, or with a v4/v6 suffix when it has both. */
export function kernelSetName(
  spec: { set: string; families: readonly IpFamily[] },
  family: IpFamily,
): string {
  return spec.families.length > 1 ? `${spec.set}${family === 'ipv4' ? 'v4' : 'v6'}` : spec.set;
}

/** Every set the configuration's actions use, once; options must agree between actions of a set. */
export function setSpecs(config: Config): SetSpec[] {
  const specs = new Map<string, SetSpec>();
  for (const stream of config.streams) {
    for (const filter of stream.filters) {
      for (const a of filter.actions) {
        if (a.type !== 'nftables' && a.type !== 'ipset') continue;
        const key = `${a.type}:${a.set}`;
        const families = [...new Set([...(specs.get(key)?.families ?? []), ...a.families])].sort();
        const { type, set, chains, target, ports, protocols } = a;
        specs.set(key, { type, set, families, chains, target, ports, protocols });
      }
    }
  }
  return [...specs.values()];
}

export class KernelSets {
  readonly #specs: readonly SetSpec[];
  readonly #queues = { nftables: [] as Operation[], ipset: [] as Operation[] };
  readonly #busy = { nftables: false, ipset: false };
  /** Additions and deletions asked of each kind of set, and those the kernel refused. */
  readonly stats = { nftables: { started: 0, failed: 0 }, ipset: { started: 0, failed: 0 } };

  constructor(config: Config) {
    this.#specs = setSpecs(config);
  }

  /** Why a set of the configuration cannot be written into a script, if one cannot. */
  #refusal(): string | undefined {
    for (const spec of this.#specs) {
      const why =
        setNameError(spec.set) ??
        spec.chains.map((chain) => chainError(spec.type, chain)).find((e) => e !== undefined) ??
        targetError(spec.type, spec.target) ??
        spec.ports.map(portRangeError).find((e) => e !== undefined) ??
        spec.protocols.map(protocolError).find((e) => e !== undefined);
      if (why !== undefined) return `cannot create the ${spec.type} set ${quote(spec.set)}: ${why}`;
    }
    return undefined;
  }

  get empty(): boolean {
    return this.#specs.length === 0;
  }

  /** Creates the sets and their drop rules, replacing leftovers of a daemon that was killed. */
  async create(): Promise<void> {
    const refused = this.#refusal();
    if (refused !== undefined) throw new Error(refused);
    const nft = this.#specs.filter((s) => s.type === 'nftables');
    if (nft.length > 0) await run(['nft', '-f', '-'], nftRuleset(nft), 'create the nftables sets');
    for (const spec of this.#specs.filter((s) => s.type === 'ipset')) {
      for (const family of spec.families) await createIpset(spec, family);
    }
  }

  /** Removes the sets and rules that create() made. */
  async destroy(): Promise<void> {
    if (this.#specs.some((s) => s.type === 'nftables')) {
      await run(['nft', 'delete', 'table', 'inet', TABLE], '', 'remove the nftables table').catch(
        logFailure,
      );
    }
    for (const spec of this.#specs.filter((s) => s.type === 'ipset')) {
      for (const family of spec.families) await destroyIpset(spec, family);
    }
  }

  /**
   * Adds or deletes one address or network; `done` is called once the kernel has answered,
   * with false when the value was refused or the kernel failed. A value of a family the set
   * does not hold is skipped (the action's `version`), which is no failure.
   */
  apply(action: SetAction, value: string, done: (ok: boolean) => void): void {
    const kernel = kernelValue(value);
    if (kernel === undefined) {
      log(
        'ERROR',
        `cannot ${action.add ? 'add' : 'delete'} ${quote(value)} ${action.add ? 'to' : 'from'} ${action.type} set ${action.set}: not an IP address or network`,
      );
      this.stats[action.type].failed++;
      done(false);
      return;
    }
    if (!action.families.includes(kernel.family)) {
      done(true);
      return;
    }
    const kernelSet = kernelSetName(action, kernel.family);
    this.stats[action.type].started++;
    this.#queues[action.type].push({ add: action.add, kernelSet, value: kernel.text, done });
    if (!this.#busy[action.type]) setImmediate(() => void this.#flush(action.type));
  }

  async #flush(type: 'nftables' | 'ipset'): Promise<void> {
    if (this.#busy[type] || this.#queues[type].length === 0) return;
    this.#busy[type] = true;
    const batch = this.#queues[type].splice(0);
    const failed = new Set<Operation>();
    try {
      await applyBatch(type, batch).catch(async () => {
        for (const op of batch) {
          await applyBatch(type, [op]).catch((error: Error) => {
            this.stats[type].failed++;
            failed.add(op);
            logFailure(error);
          });
        }
      });
    } finally {
      for (const op of batch) op.done(!failed.has(op));
      this.#busy[type] = false;
      if (this.#queues[type].length > 0) void this.#flush(type);
    }
  }
}

/**
 * The text a script may hold for a value: a canonical address, or a network written as
 * its first address and prefix length. Anything else is refused (undefined). A network
 * keeps the family it is written in: `::ffff:10.0.0.0/104` is no IPv4 network.
 */
export function kernelValue(value: string): { text: string; family: IpFamily } | undefined {
  const slash = value.indexOf('/');
  const written = slash < 0 ? value : value.slice(0, slash);
  const address = canonicalIp(written);
  if (address === undefined) return undefined;
  const family = familyOf(address);
  if (slash < 0) return { text: address, family };
  if (cidrError(value) !== undefined || familyOf(written) !== family) return undefined;
  return { text: maskIp(address, Number(value.slice(slash + 1))), family };
}

function applyBatch(type: 'nftables' | 'ipset', batch: readonly Operation[]): Promise<void> {
  if (type === 'nftables') {
    const script = batch
      .map(
        (op) =>
          `${op.add ? 'add' : 'delete'} element inet ${TABLE} ${op.kernelSet} { ${op.value} }\n`,
      )
      .join('');
    return run(['nft', '-f', '-'], script, `update nftables sets (${batch.length} addresses)`);
  }
  const script = batch
    .map((op) => `${op.add ? 'add' : 'del'} ${op.kernelSet} ${op.value}\n`)
    .join('');
  return run(['ipset', 'restore', '-exist'], script, `update ipsets (${batch.length} addresses)`);
}

function nftRuleset(specs: readonly SetSpec[]): string {
  const lines = [`table inet ${TABLE}`, `delete table inet ${TABLE}`, `table inet ${TABLE} {`];
  const rules = new Map<string, string[]>();
  for (const spec of specs) {
    for (const family of spec.families) {
      const name = kernelSetName(spec, family);
      lines.push(
        `  set ${name} { type ${family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr'}; flags interval; }`,
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

/** The most ports one `-m multiport` takes, a range counting as two. */
const MULTIPORT = 15;

/**
 * The iptables rules of an ipset, each after its chain: one per protocol and per 15 ports
 * (`-p tcp -m multiport --dports 22,8000:8080`), or one for every packet.
 */
export function xtRules(spec: Pick<SetSpec, 'ports' | 'protocols' | 'target'>, name: string) {
  const matchSet = ['-m', 'set', '--match-set', name, 'src', '-j', spec.target];
  if (spec.protocols.length === 0) return [matchSet];
  const groups: string[][] = [];
  let group: string[] = [];
  let size = 0;
  for (const [from, to] of spec.ports) {
    const cost = from === to ? 1 : 2;
    if (size + cost > MULTIPORT) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(from === to ? `${from}` : `${from}:${to}`);
    size += cost;
  }
  if (group.length > 0) groups.push(group);
  return spec.protocols.flatMap((p) =>
    groups.length === 0
      ? [['-p', p, ...matchSet]]
      : groups.map((g) => ['-p', p, '-m', 'multiport', '--dports', g.join(','), ...matchSet]),
  );
}

async function createIpset(spec: SetSpec, family: IpFamily): Promise<void> {
  const name = kernelSetName(spec, family);
  const inet = family === 'ipv4' ? 'inet' : 'inet6';
  await run(
    ['ipset', '-exist', 'create', name, 'hash:net', 'family', inet],
    '',
    `create ipset ${name}`,
  );
  // A set left by a daemon that was killed: the restore adds again what is still in effect,
  // and nothing lifted since stays in it.
  await run(['ipset', 'flush', name], '', `empty ipset ${name}`);
  const iptables = family === 'ipv4' ? 'iptables' : 'ip6tables';
  for (const chain of spec.chains) {
    for (const rule of xtRules(spec, name)) {
      await run([iptables, '-w', '-D', chain, ...rule], '', '').catch(() => undefined);
      await run([iptables, '-w', '-I', chain, ...rule], '', `hook ipset ${name} into ${chain}`);
    }
  }
}

async function destroyIpset(spec: SetSpec, family: IpFamily): Promise<void> {
  const name = kernelSetName(spec, family);
  const iptables = family === 'ipv4' ? 'iptables' : 'ip6tables';
  for (const chain of spec.chains) {
    for (const rule of xtRules(spec, name)) {
      await run([iptables, '-w', '-D', chain, ...rule], '', `unhook ipset ${name}`).catch(
        logFailure,
      );
    }
  }
  await run(['ipset', 'destroy', name], '', `destroy ipset ${name}`).catch(logFailure);
}

function logFailure(error: Error): void {
  log('ERROR', error.message);
}

/** Runs a command with `input` on stdin; rejects with its stderr when it fails. */
function run(argv: readonly string[], input: string, what: string): Promise<void> {
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
