// IP addresses as riposte handles them: the regexes that find them in a line (in the Rust
// regex dialect of configurations), their canonical form, and their networks. Receives the
// text a regex captured; sends canonical strings ("2001:db8::1", "1.2.3.0/24").

import { BlockList, isIPv4 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const V4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H = '[0-9a-fA-F]{1,4}';
/**
 * The forms of an IPv6 address, each written so that its first match is the longest: RE2,
 * which matches long lines, has no look-arounds to reject a shorter match and backtrack, so
 * the order and greed of these forms alone must give the whole address. The number of
 * groups around "::" is checked when the address is parsed, not here.
 */
const V6_FORMS = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){6}${V4}`,
  `(?:(?:${H}:){0,5}${H})?::(?:${H}:){0,5}${V4}`,
  `(?:(?:${H}:){0,6}${H})?::(?:(?:${H}:){0,6}${H})?`,
];

/** Regex sources, Rust dialect, that match one address of the family (boundaries apart). */
export const IP_REGEX: Readonly<Record<IpFamily, string>> = {
  ipv4: V4,
  ipv6: `(?:${V6_FORMS.join('|')})`,
};

/**
 * What may not touch an address, so that a match is a whole address and never the start or
 * end of a longer token: `5.36.59.76.dsl.example.net` is a host name, not an address.
 */
export const IP_BOUNDARY: Readonly<Record<IpFamily, { before: string; after: string }>> = {
  ipv4: { before: '[0-9A-Za-z_.]', after: '[0-9A-Za-z_]|\\.[0-9A-Za-z_]' },
  ipv6: { before: '[0-9A-Za-z_.:]', after: '[0-9A-Za-z_:]|\\.[0-9A-Za-z_]' },
};

/** The family of an address or network written by riposte. */
export function familyOf(value: string): IpFamily {
  return value.includes(':') ? 'ipv6' : 'ipv4';
}

/** Canonical form of a valid address: lower case, shortest IPv6, `::ffff:a.b.c.d` as IPv4. */
export function canonicalIp(text: string): string | undefined {
  if (isIPv4(text)) return text;
  const groups = parseIpv6(text);
  if (groups === undefined) return undefined;
  if (isV4Mapped(groups)) return v4FromGroups(groups[6]!, groups[7]!);
  return formatIpv6(groups);
}

/** The network of `prefix` bits around a canonical address, written as CIDR. */
export function maskIp(canonical: string, prefix: number): string {
  if (familyOf(canonical) === 'ipv4') {
    const octets = canonical.split('.').map(Number);
    const masked = octets.map((o, i) => o & byteMask(prefix - i * 8));
    return `${masked.join('.')}/${prefix}`;
  }
  const groups = parseIpv6(canonical)!;
  const masked = groups.map((g, i) => g & wordMask(prefix - i * 16));
  return `${formatIpv6(masked)}/${prefix}`;
}

/** An address or a network, canonical: its first address, family and prefix length. */
export interface Network {
  readonly address: string;
  readonly family: IpFamily;
  readonly prefix: number;
}

/**
 * An address (`192.0.2.7`, prefix 32 or 128) or a network (`192.0.2.0/24`) written by anyone,
 * canonical; undefined when it is neither. A network keeps the family it is written in.
 */
export function networkOf(text: string): Network | undefined {
  if (cidrError(text) !== undefined) return undefined;
  const [written = '', bits] = text.split('/');
  const address = canonicalIp(written)!;
  const family = familyOf(address);
  if (bits !== undefined && familyOf(written) !== family) return undefined;
  const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
  const first = maskIp(address, prefix);
  return { address: first.slice(0, first.indexOf('/')), family, prefix };
}

/** Whether two networks share an address: one holds the other. */
export function overlaps(a: Network, b: Network): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  return maskIp(a.address, prefix) === maskIp(b.address, prefix);
}

/** Parses `1.2.3.4` or `10.0.0.0/8` (any address family) for membership checks. */
export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = familyOf(address);
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/**
 * Why `cidr` is not an address or a network such as `10.0.0.0/8` (a reason to follow
 * `cannot parse network "…": `), or undefined when it is one. The prefix is read in the
 * family written: `::ffff:10.0.0.0/104` is an IPv6 network.
 */
export function cidrError(cidr: string): string | undefined {
  const [address = '', bits, extra] = cidr.split('/');
  if (extra !== undefined) return 'expected an address and a prefix length such as "10.0.0.0/8"';
  if (canonicalIp(address) === undefined) return `${JSON.stringify(address)} is not an IP address`;
  if (bits === undefined) return undefined;
  const max = familyOf(address) === 'ipv4' ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    return `the prefix length must be an integer from 0 to ${max}, got ${JSON.stringify(bits)}`;
  }
  return undefined;
}

function byteMask(bits: number): number {
  if (bits >= 8) return 0xff;
  return bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
}

function wordMask(bits: number): number {
  if (bits >= 16) return 0xffff;
  return bits <= 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
}

function isV4Mapped(g: readonly number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

function v4FromGroups(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/** Eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function parseIpv6(text: string): number[] | undefined {
  if (text.length > 45 || !text.includes(':')) return undefined;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    if (!isIPv4(v4)) return undefined;
    const o = v4.split('.').map(Number);
    const hex = [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!].map((g) => g.toString(16));
    return parseIpv6(`${text.slice(0, lastColon + 1)}${hex.join(':')}`);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...rest];
}

function groupsOf(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

const TOUCHING: Readonly<Record<IpFamily, { before: RegExp; after: RegExp }>> = {
  ipv4: {
    before: new RegExp(IP_BOUNDARY.ipv4.before),
    after: new RegExp(IP_BOUNDARY.ipv4.after, 'y'),
  },
  ipv6: {
    before: new RegExp(IP_BOUNDARY.ipv6.before),
    after: new RegExp(IP_BOUNDARY.ipv6.after, 'y'),
  },
};

/** Whether line[start, end) is a whole address by the rules of IP_BOUNDARY. */
export function isWholeAddress(line: string, start: number, end: number): boolean {
  const rules =
    TOUCHING[line.includes(':', start) && line.indexOf(':', start) < end ? 'ipv6' : 'ipv4'];
  if (start > 0 && rules.before.test(line[start - 1]!)) return false;
  rules.after.lastIndex = end;
  return !rules.after.test(line);
}

/** Runs of the characters an address and its neighbours are made of. */
const TOKEN = /[0-9A-Za-z_.:]+/g;
/** Any address, whole or not: a token without one is left alone. */
const RAW = new RegExp(`${IP_REGEX.ipv4}|${IP_REGEX.ipv6}`);
/** A whole address inside a token (tokens are cut at every character the boundaries allow). */
const WHOLE = new RegExp(
  `(?<!${IP_BOUNDARY.ipv6.before})(?:${IP_REGEX.ipv6})(?!${IP_BOUNDARY.ipv6.after})|(?<!${IP_BOUNDARY.ipv4.before})(?:${IP_REGEX.ipv4})(?!${IP_BOUNDARY.ipv4.after})`,
);

/**
 * The line with every token that looks like an address but holds no whole one (a host name
 * such as `5.36.59.76.dsl.example.net`, a version such as `1.2.3.4.5`) blanked out, length
 * kept. The linear-time engine has no look-arounds: on the blanked line it cannot capture
 * part of such a token, and no number of them can hide the real address further on.
 */
export function blankPartialAddresses(line: string): string {
  let blanked: string[] | undefined;
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(line); m !== null; m = TOKEN.exec(line)) {
    const token = m[0];
    if (token.length < 2 || !RAW.test(token) || WHOLE.test(token)) continue;
    blanked ??= [];
    blanked.push(line.slice(last, m.index), '\u0000'.repeat(token.length));
    last = m.index + token.length;
  }
  if (blanked === undefined) return line;
  blanked.push(line.slice(last));
  return blanked.join('');
}
