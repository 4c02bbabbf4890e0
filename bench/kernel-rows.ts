// The kernel benchmark's figures: the timelines of its runs read as bans/s, the cost of the
// last tenth against the first, the restore and unban times, with the kernel's own listing
// checked; and the references, `nft -f` and `ipset restore` of the same addresses into sets
// of the flags riposte makes, timed in namespaces of their own. Receives runs; sends rows.

import { nftRuleset } from '../src/daemon/firewall.js';
import { compareMembers, type Kind, Netns, nftScripts, ipsetScripts } from './kernel-ns.js';
import { spread, type Spread } from './measure.js';
import { number, type Row, times } from './report.js';

const NAME = 'kernel';
const RATE = 20_000;
const GROWTH = 1.5;
const SECONDS = 1;
/** The type of riposte's ipsets (firewall.ts), which the reference sets take too. */
const IPSET_TYPE = 'hash:net';

/** A point of a timeline: seconds since its start, and the count then. */
export interface Point {
  readonly t: number;
  readonly n: number;
}

export interface Run {
  /** Seconds of each step, from its first line to the sets holding its last address. */
  readonly bans: readonly number[];
  readonly banned: readonly string[];
  /** Addresses the kernel held once the daemon had stopped. */
  readonly afterStop: number;
  /** From the spawn of the second daemon to the sets holding every address again. */
  readonly restore: readonly Point[];
  readonly restored: readonly string[];
  /** From the flush of every match to empty sets. */
  readonly unban: readonly Point[];
  readonly left: number;
}

export interface References {
  readonly add: Spread;
  readonly del: Spread;
  readonly flags: string;
}

export interface KindRuns {
  readonly kind: Kind;
  readonly addresses: readonly string[];
  readonly runs: readonly Run[];
  readonly references: References;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Seconds to the last point (the one that met the condition; NaN when it timed out). */
function end(points: readonly Point[]): number {
  return points[points.length - 1]?.t ?? Number.NaN;
}

/** The set line riposte writes for its IPv4 or IPv6 set, without its name. */
function nftSetLine(v6: boolean): string {
  const spec = {
    type: 'nftables' as const,
    set: 'bans',
    families: ['ipv4', 'ipv6'] as const,
    networks: [],
    chains: ['input'],
    target: 'drop',
    ports: [],
    protocols: [],
  };
  const line = new RegExp(`set bans${v6 ? 'v6' : 'v4'} \\{ (.*) \\}`).exec(nftRuleset([spec]));
  if (line === null) throw new Error('kernel: no set line in the nftables ruleset');
  return line[1]!;
}

/** `nft -f` (or `ipset restore`) of the addresses, then of their deletion, `n` times each. */
export function references(kind: Kind, addresses: readonly string[], n: number): References {
  const add: number[] = [];
  const del: number[] = [];
  const nft = kind === 'nftables';
  const scripts = nft ? nftScripts(addresses, nftSetLine) : ipsetScripts(addresses, IPSET_TYPE);
  const argv = nft ? ['nft', '-f', '-'] : ['ipset', 'restore'];
  for (let i = 0; i < n; i++) {
    const ns = Netns.create(`ref-${kind}-${i}`);
    if (ns === undefined) throw new Error('kernel: ip netns add failed');
    try {
      add.push(ns.time(argv, scripts.add));
      del.push(ns.time(argv, scripts.del));
    } finally {
      ns.remove();
    }
  }
  const flags = nft ? nftSetLine(false) : `${IPSET_TYPE} family inet`;
  return { add: spread(add), del: spread(del), flags };
}

function row(tool: string, metric: string, value: Spread, more: Partial<Row>): Row {
  return { benchmark: NAME, tool, metric, value, ...more };
}

function checks(r: Run, addresses: readonly string[]): string {
  const restored = compareMembers(r.restored, addresses);
  const stop = r.afterStop === 0 ? 'none after the stop' : `${number(r.afterStop)} after the stop`;
  const left = r.left === 0 ? 'none after the unban' : `${number(r.left)} after the unban`;
  return `restored: ${restored}; ${stop}; ${left}`;
}

/** The rows of one kind: bans/s, growth, restore, unban, and the references. */
export function rowsOf(m: KindRuns): Row[] {
  const n = m.addresses.length;
  const tenth = n / 10;
  const tool = `riposte, ${m.kind}`;
  const ref = m.kind === 'nftables' ? 'nft -f' : 'ipset restore';
  const rate = spread(m.runs.map((r) => n / sum(r.bans)));
  const first = spread(m.runs.map((r) => r.bans[0]!));
  const last = spread(m.runs.map((r) => r.bans[r.bans.length - 1]!));
  const growth = spread(m.runs.map((r) => r.bans[r.bans.length - 1]! / r.bans[0]!));
  const restore = spread(m.runs.map((r) => end(r.restore)));
  const unban = spread(m.runs.map((r) => end(r.unban)));
  const refRate = n / m.references.add.median;
  const refDel = n / m.references.del.median;
  const a = number(tenth);
  return [
    row(tool, 'bans/s into the kernel', rate, {
      ratio: times(rate.median / refRate, `riposte ÷ ${ref}`),
      target: `≥ ${number(RATE)} bans/s`,
      met: rate.median >= RATE,
      note: `${number(n)} random addresses, half IPv6, in ${m.runs[0]!.bans.length} steps of ${a} lines, each let out once the one before is in the set; first step ${first.median.toFixed(2)} s, last ${last.median.toFixed(2)} s (the daemon's metrics gauge polled every 20 ms); ${compareMembers(m.runs[0]!.banned, m.addresses)}`,
    }),
    row(tool, `× cost, last ${a} ÷ first ${a}`, growth, {
      digits: 2,
      target: `≤ ${GROWTH}×`,
      met: growth.median <= GROWTH,
    }),
    row(tool, `s to ${number(n)} restored`, restore, {
      digits: 2,
      ratio: times(m.references.add.median / restore.median, `riposte ÷ ${ref}`),
      target: `≤ ${SECONDS} s after start`,
      met: restore.median <= SECONDS,
      note: `from the spawn of riposte start, into the empty sets it creates; ${checks(m.runs[0]!, m.addresses)}`,
    }),
    row(tool, `s to ${number(n)} unbanned`, unban, {
      digits: 2,
      ratio: times(m.references.del.median / unban.median, `riposte ÷ ${ref}`),
      target: `≤ ${SECONDS} s`,
      met: unban.median <= SECONDS,
      note: `a flush of every match (their unban actions run now) to empty sets: ${number(n / unban.median)} unbans/s`,
    }),
    row(`${ref} (reference)`, `s for ${number(n)} added`, m.references.add, {
      digits: 2,
      note: `${number(refRate)} additions/s; one script, sets of riposte's options (${m.references.flags}), in a fresh namespace; deletion of them all: ${m.references.del.median.toFixed(2)} s (${number(refDel)}/s)`,
    }),
  ];
}

/** The pipeline alone: stream, filter, scheduler and runner to a virtual send. */
export function virtualRow(runs: readonly (readonly number[])[], n: number): Row {
  const rate = spread(runs.map((r) => n / sum(r)));
  const growth = spread(runs.map((r) => r[r.length - 1]! / r[0]!)).median;
  return row('riposte, virtual action', 'actions/s', rate, {
    note: `the same ${number(n)} lines, steps and filter, a virtual action instead of a set: the pipeline's own ceiling (status polled every 20 ms); last step ÷ first ${growth.toFixed(2)}×`,
  });
}
