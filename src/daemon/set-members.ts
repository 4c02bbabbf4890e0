// The members of the kernel sets as the kernel lists them, for a set that a reload makes
// again with other options: read from `nft -j list table` (listed until two listings agree)
// or `ipset save`, and written back as the lines of one `nft -f -` or `ipset restore` script.
// Owns nothing; receives the listings' text; sends member lists and script lines.

/** nftables' JSON listing of a table: each set's name and elements (addresses, prefixes, ranges). */
export function nftMembers(json: string): Map<string, string[]> {
  const members = new Map<string, string[]>();
  const listing = JSON.parse(json) as { nftables?: unknown[] };
  for (const item of listing.nftables ?? []) {
    const set = (item as { set?: { name?: unknown; elem?: unknown } }).set;
    if (set === undefined || typeof set.name !== 'string') continue;
    const elements = Array.isArray(set.elem) ? set.elem : [];
    members.set(set.name, elements.flatMap(nftElement));
  }
  return members;
}

function nftElement(e: unknown): string[] {
  if (typeof e === 'string') return [e];
  if (typeof e !== 'object' || e === null) return [];
  const { prefix, range, elem } = e as { prefix?: unknown; range?: unknown; elem?: unknown };
  if (elem !== undefined) return nftElement((elem as { val?: unknown }).val);
  if (typeof prefix === 'object' && prefix !== null) {
    const { addr, len } = prefix as { addr?: unknown; len?: unknown };
    return typeof addr === 'string' && typeof len === 'number' ? [`${addr}/${len}`] : [];
  }
  if (Array.isArray(range) && range.length === 2 && range.every((r) => typeof r === 'string'))
    return [`${range[0]}-${range[1]}`];
  return [];
}

/** `add` (or `delete`) lines of an nft script for `elements` of a set (`inet TABLE NAME`), a thousand per line. */
export function nftElementLines(
  verb: 'add' | 'delete',
  set: string,
  elements: readonly string[],
): string[] {
  const lines: string[] = [];
  for (let i = 0; i < elements.length; i += 1000) {
    lines.push(`${verb} element ${set} { ${elements.slice(i, i + 1000).join(', ')} }`);
  }
  return lines;
}

/** The members of one ipset, from what `ipset save NAME` prints. */
export function ipsetMembers(saved: string, name: string): string[] {
  const prefix = `add ${name} `;
  return saved
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).split(' ')[0]!)
    .filter((member) => member !== '');
}

/** How many listings of the sets are read at most before their members are taken as they are. */
const LISTINGS = 5;

/**
 * The members of the table's sets, listed until two listings agree: a listing taken while
 * the kernel resizes a hash set can repeat some elements and skip others. If none agree,
 * every element of the last two: a ban listed once is carried rather than lost.
 */
export async function agreedMembers(list: () => Promise<string>): Promise<Map<string, string[]>> {
  let last = nftMembers(await list());
  for (let i = 1; i < LISTINGS; i++) {
    const now = nftMembers(await list());
    if (sameMembers(now, last)) return now;
    last = union(now, last);
  }
  return last;
}

function sorted(members: ReadonlyMap<string, readonly string[]>): string {
  return JSON.stringify([...members].map(([set, elements]) => [set, [...elements].sort()]).sort());
}

function sameMembers(
  a: ReadonlyMap<string, readonly string[]>,
  b: ReadonlyMap<string, readonly string[]>,
): boolean {
  return sorted(a) === sorted(b);
}

function union(
  a: ReadonlyMap<string, readonly string[]>,
  b: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const set of new Set([...a.keys(), ...b.keys()]))
    out.set(set, [...new Set([...(a.get(set) ?? []), ...(b.get(set) ?? [])])]);
  return out;
}
