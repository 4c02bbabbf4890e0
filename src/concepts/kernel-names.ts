// The names and numbers that the built-in nftables and ipset types write into firewall
// scripts and commands: set names, hooks or chains, targets, ports and protocols. Receives
// them from the configuration (and again from the kernel-set writer, which trusts no
// caller); sends the reason one is refused, or undefined. Each is checked against a closed
// grammar, never escaped.

export type KernelSetType = 'nftables' | 'ipset';

/**
 * The hooks of a table of family inet that take a filter chain without naming a device:
 * the chain riposte makes is named after its hook.
 */
const NFT_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
/** The verdicts a drop rule may end with: nothing that names a chain or takes arguments. */
const NFT_VERDICTS = ['drop', 'reject', 'accept'];
/**
 * An iptables chain or target name, which iptables limits to 28 characters. Not starting
 * with "-": it is one argument of an iptables command, which would read it as an option.
 */
const XT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/;
/** Kept short enough for the "v4"/"v6" suffix within the 31 characters ipset allows. */
const SET_NAME = /^[A-Za-z0-9_-]{1,28}$/;

export function setNameError(set: string): string | undefined {
  return SET_NAME.test(set) ? undefined : 'a set name is 1 to 28 letters, digits, "_" or "-"';
}

/** Why a hook (nftables) or chain (ipset) is refused. */
export function chainError(type: KernelSetType, chain: string): string | undefined {
  if (type === 'nftables') {
    if (NFT_HOOKS.includes(chain)) return undefined;
    return `${JSON.stringify(chain)} is not a hook of an nftables inet table: expected one of ${NFT_HOOKS.join(', ')}`;
  }
  if (XT_NAME.test(chain)) return undefined;
  return `${JSON.stringify(chain)} is not an iptables chain name: up to 28 letters, digits, "_", "." or "-", not starting with "-"`;
}

export function targetError(type: KernelSetType, target: string): string | undefined {
  if (type === 'nftables') {
    if (NFT_VERDICTS.includes(target)) return undefined;
    return `${JSON.stringify(target)} is not a verdict riposte writes: expected one of ${NFT_VERDICTS.join(', ')}`;
  }
  if (XT_NAME.test(target)) return undefined;
  return `${JSON.stringify(target)} is not an iptables target name: up to 28 letters, digits, "_", "." or "-", not starting with "-"`;
}

/** A port or a range of ports, both ends included: [22, 22], [8000, 8080]. */
export type PortRange = readonly [from: number, to: number];

export const PROTOCOLS = ['tcp', 'udp', 'both'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** A port as written in `ports`: 22, "22" or "8000-8080"; the reason it is refused otherwise. */
export function parsePort(raw: unknown): PortRange | string {
  const text = typeof raw === 'number' ? String(raw) : raw;
  const m = typeof text === 'string' ? /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text) : null;
  const range = m === null ? undefined : ([Number(m[1]), Number(m[2] ?? m[1])] as const);
  if (range === undefined || portRangeError(range) !== undefined)
    return `expected a port from 1 to 65535 or a range such as "8000-8080", got ${JSON.stringify(raw)}`;
  return range;
}

/** Why a range cannot be written into a rule: ports are integers from 1 to 65535, in order. */
export function portRangeError(range: PortRange): string | undefined {
  const [from, to] = range;
  const port = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (port(from) && port(to) && from <= to) return undefined;
  return `${JSON.stringify(range)} is not a range of ports from 1 to 65535`;
}

/** Why a protocol cannot be written into a rule (`both` is written as tcp and udp). */
export function protocolError(protocol: string): string | undefined {
  if (protocol === 'tcp' || protocol === 'udp') return undefined;
  return `${JSON.stringify(protocol)} is not a protocol a rule names: expected tcp or udp`;
}
