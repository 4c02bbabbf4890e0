// The names that the built-in nftables and ipset types write into firewall scripts and
// commands: set names, hooks or chains, targets. Receives them from the configuration (and
// again from the kernel-set writer, which trusts no caller); sends the reason a name is
// refused, or undefined. A name is checked against a closed grammar, never escaped.

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
