// The ipset half of riposte's kernel sets: an ipset per family, created with room for a
// million entries, hooked into iptables chains by rules that drop its addresses (every
// packet, or only some ports), made again when its options changed, unhooked and destroyed.
// Owns nothing; receives set definitions; sends ipset and iptables commands through
// firewall.ts's runner.

import type { IpFamily } from '../lib/ip.js';
import { log } from '../lib/log.js';
import {
  kernelSetName,
  logFailure,
  output,
  run,
  type SetSpec,
  sameSpec,
  specChanges,
} from './firewall.js';
import { ipsetMembers } from './set-members.js';

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

/**
 * Creates an ipset (kept when it exists) and hooks its rules. `empty` at start-up: a set left
 * by a daemon that was killed loses what was lifted since, and the restore adds again what is
 * still in effect. Never at a reload, which keeps the members.
 */
export async function createIpset(
  spec: SetSpec,
  family: IpFamily,
  o: { empty: boolean },
): Promise<void> {
  const name = kernelSetName(spec, family);
  const inet = family === 'ipv4' ? 'inet' : 'inet6';
  const iptables = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const create = ['ipset', '-exist', 'create', name, 'hash:net', 'family', inet];
  const sized = [...create, 'maxelem', String(MAXELEM)];
  const refused = await run(sized, '', `create ipset ${name}`).then(
    () => undefined,
    (error: Error) => error,
  );
  if (refused !== undefined && !o.empty) throw refused;
  if (refused !== undefined) await remake(name, { spec, iptables, create, sized });
  if (o.empty) await run(['ipset', 'flush', name], '', `empty ipset ${name}`);
  for (const chain of spec.chains) {
    for (const rule of xtRules(spec, name)) {
      await run([iptables, '-w', '-D', chain, ...rule], '', '').catch(() => undefined);
      await run([iptables, '-w', '-I', chain, ...rule], '', `hook ipset ${name} into ${chain}`);
    }
  }
}

/** The most members an ipset takes: ipset's default, 65,536, is fewer than a busy host bans. */
const MAXELEM = 1_000_000;

/**
 * At start-up, a set of the name that refused riposte's options (left by an older riposte,
 * of ipset's default size) is made again once riposte's rules no longer name it: it is
 * emptied anyway. If something else still holds it, it is kept as it is, and said so.
 */
async function remake(
  name: string,
  o: { spec: SetSpec; iptables: string; create: string[]; sized: string[] },
): Promise<void> {
  for (const chain of o.spec.chains) {
    for (const rule of xtRules(o.spec, name)) {
      await run([o.iptables, '-w', '-D', chain, ...rule], '', '').catch(() => undefined);
    }
  }
  const gone = await run(['ipset', 'destroy', name], '', `make ipset ${name} again`).then(
    () => true,
    (error: Error) => {
      log('WARN', `${error.message}: it keeps its options (maxelem included)`);
      return false;
    },
  );
  await run(gone ? o.sized : o.create, '', `create ipset ${name}`);
}

/** Unhooks and destroys an ipset; what `keep` (its new definition) also has stays. */
export async function destroyIpset(spec: SetSpec, family: IpFamily, keep?: SetSpec): Promise<void> {
  const name = kernelSetName(spec, family);
  const iptables = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const kept = keep?.families.includes(family) === true && kernelSetName(keep, family) === name;
  // The rules the new definition hooks again (createIpset) are left in place.
  const hooked = new Set(
    kept && keep !== undefined
      ? keep.chains.flatMap((chain) => xtRules(keep, name).map((r) => [chain, ...r].join(' ')))
      : [],
  );
  for (const chain of spec.chains) {
    for (const rule of xtRules(spec, name)) {
      if (hooked.has([chain, ...rule].join(' '))) continue;
      await run([iptables, '-w', '-D', chain, ...rule], '', `unhook ipset ${name}`).catch(
        logFailure,
      );
    }
  }
  if (!kept) await run(['ipset', 'destroy', name], '', `destroy ipset ${name}`).catch(logFailure);
}

export async function changeIpsets(
  current: readonly SetSpec[],
  next: readonly SetSpec[],
): Promise<string[]> {
  const before = current.filter((s) => s.type === 'ipset');
  const after = next.filter((s) => s.type === 'ipset');
  const lines = specChanges('ipset', before, after);
  for (const spec of after) {
    const old = before.find((b) => b.set === spec.set);
    if (old !== undefined && sameSpec(old, spec)) continue;
    for (const family of spec.families) {
      await createIpset(spec, family, { empty: false });
      const from = old?.families.includes(family) ? kernelSetName(old, family) : undefined;
      if (from === undefined || from === kernelSetName(spec, family)) continue;
      const saved = await output(['ipset', 'save', from]);
      const adds = ipsetMembers(saved, from).map(
        (m) => `add ${kernelSetName(spec, family)} ${m}\n`,
      );
      await run(['ipset', 'restore', '-exist'], adds.join(''), `copy ipset ${from}`);
    }
    if (old !== undefined) for (const family of old.families) await destroyIpset(old, family, spec);
  }
  for (const old of before) {
    if (after.some((a) => a.set === old.set)) continue;
    for (const family of old.families) await destroyIpset(old, family);
  }
  return lines;
}
