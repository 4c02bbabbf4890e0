// The built-in "nftables" and "ipset" action types: owns the kernel sets they write to and
// the firewall rules that make those sets drop traffic. Receives add/delete requests from
// actions; sends them to the kernel in batches, one `nft -f -` or `ipset restore` process
// per batch rather than one process per ban (the commands are in firewall.ts); a batch the
// kernel refuses is halved until the values it refuses are found. Creates the
// sets at start-up (empty: a restart applies again the bans still in effect), makes them
// follow a reloaded configuration, removes them at shutdown. Nothing reaches a script that
// is not a canonical address or network, or a name or number of the closed grammar of
// kernel-names.ts, whatever its caller checked.

import type { SetAction } from '../concepts/action.js';
import type { Config } from '../concepts/config.js';
import type { Pattern } from '../concepts/pattern.js';
import {
  chainError,
  portRangeError,
  protocolError,
  setNameError,
  targetError,
} from '../concepts/kernel-names.js';
import { canonicalIp, cidrError, familyOf, type IpFamily, maskIp } from '../lib/ip.js';
import { log, quote } from '../lib/log.js';
import {
  applyBatch,
  kernelSetName,
  logFailure,
  nftRuleset,
  rebuildNft,
  run,
  type SetChange,
  type SetSpec,
  type SetType,
  TABLE,
} from './firewall.js';
import { changeIpsets, createIpset, destroyIpset } from './ipsets.js';

interface Operation extends SetChange {
  /** The set and family it goes to: its kernel name is that of the set when it is sent. */
  readonly set: string;
  readonly family: IpFamily;
  kernelSet: string;
  readonly done: (ok: boolean) => void;
}

/** The most changes one process is given: bounds a script, and the wait for its answer. */
export const BATCH = 10_000;

/** Every set the configuration's actions use, once; options must agree between actions of a set. */
export function setSpecs(config: Config): SetSpec[] {
  const specs = new Map<string, SetSpec>();
  for (const stream of config.streams) {
    for (const filter of stream.filters) {
      for (const a of filter.actions) {
        if (a.type !== 'nftables' && a.type !== 'ipset') continue;
        const key = `${a.type}:${a.set}`;
        const known = specs.get(key);
        const families = [...new Set([...(known?.families ?? []), ...a.families])].sort();
        const masked = maskedFamilies(filter.patterns[a.pattern]);
        const networks = [...new Set([...(known?.networks ?? []), ...masked])]
          .filter((f) => families.includes(f))
          .sort();
        const { type, set, chains, target, ports, protocols } = a;
        specs.set(key, { type, set, families, networks, chains, target, ports, protocols });
      }
    }
  }
  return [...specs.values()];
}

/** The families in which a pattern's values are networks: those it masks to a shorter prefix. */
function maskedFamilies(pattern: Pattern | undefined): IpFamily[] {
  const families: IpFamily[] = [];
  if (pattern?.ipv4mask !== undefined && pattern.ipv4mask < 32) families.push('ipv4');
  if (pattern?.ipv6mask !== undefined && pattern.ipv6mask < 128) families.push('ipv6');
  return families;
}

export class KernelSets {
  #specs: readonly SetSpec[];
  readonly #queues = { nftables: [] as Operation[], ipset: [] as Operation[] };
  readonly #busy = { nftables: false, ipset: false };
  /** A flush is due at the next turn of the event loop: one for a burst of changes, not one each. */
  readonly #due = { nftables: false, ipset: false };
  /** The batch being sent, of each type; a reload waits for it. */
  readonly #sending = { nftables: Promise.resolve(), ipset: Promise.resolve() };
  /** While a reload changes the sets, batches wait. */
  #paused = false;
  /** Additions and deletions asked of each kind of set, and those the kernel refused. */
  readonly stats = { nftables: { started: 0, failed: 0 }, ipset: { started: 0, failed: 0 } };
  /** The addresses riposte put in each set, by type, set and family. */
  readonly #members = {
    nftables: new Map<string, Set<string>>(),
    ipset: new Map<string, Set<string>>(),
  };

  /** Sends a batch to the kernel: `applyBatch`, or a stand-in in tests. */
  readonly #apply: typeof applyBatch;

  constructor(config: Config, o: { apply?: typeof applyBatch } = {}) {
    this.#specs = setSpecs(config);
    this.#apply = o.apply ?? applyBatch;
  }

  /** Why a set of the configuration cannot be written into a script, if one cannot. */
  #refusal(specs: readonly SetSpec[] = this.#specs): string | undefined {
    for (const spec of specs) {
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
      for (const family of spec.families) await createIpset(spec, family, { empty: true });
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

  /** The kernel sets, each with the number of addresses riposte put in it. */
  addresses(): { type: 'nftables' | 'ipset'; set: string; addresses: number }[] {
    return this.#specs.flatMap((spec) =>
      spec.families.map((family) => ({
        type: spec.type,
        set: kernelSetName(spec, family),
        addresses: this.#members[spec.type].get(`${spec.set} ${family}`)?.size ?? 0,
      })),
    );
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
    const family = kernel.family;
    if (!action.families.includes(family)) {
      done(true);
      return;
    }
    if (kernel.text.includes('/') && !this.#holdsNetworks(action, family)) {
      log(
        'ERROR',
        `cannot ${action.add ? 'add' : 'delete'} ${quote(value)} ${action.add ? 'to' : 'from'} ${action.type} set ${action.set}: the set holds addresses, not networks (no pattern of its actions is masked)`,
      );
      this.stats[action.type].failed++;
      done(false);
      return;
    }
    this.stats[action.type].started++;
    const { add, set } = action;
    const op = { add, set, family, kernelSet: '', value: kernel.text, done };
    this.#queues[action.type].push(op);
    this.#flushSoon(action.type);
  }

  /** Whether the set of an action holds networks of a family (as its spec says). */
  #holdsNetworks(action: SetAction, family: IpFamily): boolean {
    const spec = this.#specs.find((s) => s.type === action.type && s.set === action.set);
    // A set the configuration does not know (yet): #flush decides once it is sent.
    return spec === undefined || spec.networks.includes(family);
  }

  /**
   * A reload: the sets follow `config`. A set added is created, one removed is destroyed, one
   * whose options changed is made again with its current members (nftables: the whole table,
   * in one atomic transaction). Batches wait meanwhile. Returns what changed, one line each.
   */
  async reconcile(config: Config): Promise<string[]> {
    const next = setSpecs(config);
    const refused = this.#refusal(next);
    if (refused !== undefined) throw new Error(refused);
    this.#paused = true;
    try {
      await Promise.all([this.#sending.nftables, this.#sending.ipset]);
      const lines = await rebuildNft(this.#specs, next);
      lines.push(...(await changeIpsets(this.#specs, next)));
      this.#specs = next;
      return lines;
    } finally {
      this.#paused = false;
      for (const type of ['nftables', 'ipset'] as const) void this.#flush(type);
    }
  }

  #flushSoon(type: SetType): void {
    if (this.#busy[type] || this.#due[type]) return;
    this.#due[type] = true;
    setImmediate(() => {
      this.#due[type] = false;
      void this.#flush(type);
    });
  }

  async #flush(type: SetType): Promise<void> {
    if (this.#busy[type] || this.#paused || this.#queues[type].length === 0) return;
    this.#busy[type] = true;
    let sent = (): void => undefined;
    this.#sending[type] = new Promise((resolve) => {
      sent = resolve;
    });
    const batch: Operation[] = [];
    for (const op of this.#queues[type].splice(0, BATCH)) {
      const spec = this.#specs.find((s) => s.type === type && s.set === op.set);
      // Its set was removed by a reload: the address is in no set, as asked or not.
      if (spec === undefined || !spec.families.includes(op.family)) op.done(true);
      else batch.push(Object.assign(op, { kernelSet: kernelSetName(spec, op.family) }));
    }
    let applied: boolean[] = batch.map(() => false);
    try {
      applied = await this.#send(type, batch);
    } finally {
      batch.forEach((op, i) => {
        if (applied[i] === true || !op.add) this.#remember(type, op);
      });
      this.#busy[type] = false;
      sent();
      // The next batch is in the kernel's hands while this one's actions end.
      if (this.#queues[type].length > 0) void this.#flush(type);
      batch.forEach((op, i) => {
        op.done(applied[i]!);
      });
    }
  }

  /**
   * Sends a batch; if the kernel refuses it, each half again, down to the single values it
   * refuses (told and logged), while the others still apply: a few refused values cost a
   * few processes each, not one process per value of the batch. An nft script is one
   * transaction; an ipset restore stops at its first error, and what it applied before is
   * applied again harmlessly (`-exist`).
   */
  async #send(type: SetType, batch: readonly Operation[]): Promise<boolean[]> {
    const sent = await this.#apply(type, batch).then(
      () => undefined,
      (error: Error) => error,
    );
    if (sent === undefined) return batch.map(() => true);
    if (batch.length === 1) {
      this.stats[type].failed++;
      logFailure(sent);
      return [false];
    }
    const half = Math.ceil(batch.length / 2);
    const first = await this.#send(type, batch.slice(0, half));
    return [...first, ...(await this.#send(type, batch.slice(half)))];
  }

  /** A delete the kernel refused was of an address that was not there: either way it is not. */
  #remember(type: SetType, op: Operation): void {
    const key = `${op.set} ${op.family}`;
    let members = this.#members[type].get(key);
    if (members === undefined) {
      members = new Set();
      this.#members[type].set(key, members);
    }
    if (op.add) members.add(op.value);
    else members.delete(op.value);
  }
}

/**
 * The text a script may hold for a value: a canonical address, or a network written as
 * its first address and prefix length (a whole-length prefix is its address, which a set
 * without intervals takes). Anything else is refused (undefined). A network keeps the
 * family it is written in: `::ffff:10.0.0.0/104` is no IPv4 network.
 */
export function kernelValue(value: string): { text: string; family: IpFamily } | undefined {
  const slash = value.indexOf('/');
  const written = slash < 0 ? value : value.slice(0, slash);
  const address = canonicalIp(written);
  if (address === undefined) return undefined;
  const family = familyOf(address);
  if (slash < 0) return { text: address, family };
  if (cidrError(value) !== undefined || familyOf(written) !== family) return undefined;
  const prefix = Number(value.slice(slash + 1));
  if (prefix === (family === 'ipv4' ? 32 : 128)) return { text: address, family };
  return { text: maskIp(address, prefix), family };
}
