// `riposte why ADDRESS`: every trigger whose match holds the address, in effect or in the
// history window, with its lines; the matches counting toward one; the ignore rules that
// keep the address from counting. Owns nothing; reads the scheduler's triggers in effect,
// the filters' counts and the store's history. Receives a checked address or network; sends
// the Why of the control protocol.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Network } from '../lib/ip.js';
import type { Why, WhyTrigger } from '../protocol.js';
import type { FilterRuntime } from './filter.js';
import { countAfter, matchName } from './reports.js';
import { pendingActions, type Scheduler } from './scheduler.js';
import { addressSelection, holds, ruleOf } from './selection.js';
import type { StateReads } from './state/records.js';

export interface WhyParts {
  readonly config: Config;
  readonly filters: readonly FilterRuntime[];
  readonly scheduler: Scheduler;
  readonly reads: StateReads;
}

export function why(d: WhyParts, network: Network, now: number): Why {
  const since = now - d.config.history;
  const selected = addressSelection(
    d.filters.map((f) => f.filter),
    network,
  );
  const byId = new Map(d.filters.map((f) => [idOf(f.filter), f.filter]));
  const triggers: WhyTrigger[] = [];
  for (const live of d.scheduler.inEffect()) {
    if (selected.get(live.filter)?.(live.values) !== true) continue;
    const pending = Object.fromEntries(pendingActions(live));
    triggers.push({
      filter: idOf(live.filter),
      match: matchName(live.filter, live.values),
      time: live.time,
      ...(Object.keys(pending).length > 0 ? { pending } : {}),
      ...(live.held ? { permanent: true } : {}),
      lines: live.lines,
    });
  }
  // A filter no longer in the configuration: any of its values may be the address.
  const past = d.reads.history(since, (stream, filter, values) => {
    const known = byId.get(`${stream}.${filter}`);
    const test = known === undefined ? undefined : selected.get(known);
    return test === undefined ? values.some((v) => holds(v, network)) : test(values);
  });
  for (const p of past) {
    const filter = byId.get(`${p.stream}.${p.filter}`);
    triggers.push({
      filter: `${p.stream}.${p.filter}`,
      match: filter === undefined ? p.values.join(' ') : matchName(filter, p.values),
      time: p.time,
      ended: p.ended.time,
      how: p.ended.how,
      lines: p.lines,
    });
  }
  triggers.sort((a, b) => a.time - b.time);
  return {
    address: written(network),
    since,
    triggers,
    counts: countsOf(d.filters, selected, now),
    ignored: ignoredBy(d.filters, network),
  };
}

function countsOf(
  filters: readonly FilterRuntime[],
  selected: ReturnType<typeof addressSelection>,
  now: number,
): Why['counts'] {
  const counts: Why['counts'][number][] = [];
  for (const runtime of filters) {
    const test = selected.get(runtime.filter);
    if (test === undefined) continue;
    for (const counted of runtime.counts()) {
      if (!test(counted.values)) continue;
      const matches = countAfter(counted.times, now - runtime.filter.retryperiod);
      if (matches === 0) continue;
      const lines = counted.lines.slice(-matches).filter((l) => l !== '');
      const match = matchName(runtime.filter, counted.values);
      counts.push({ filter: idOf(runtime.filter), match, matches, lines });
    }
  }
  return counts;
}

/** The filters whose address patterns ignore an address (a network is not one value). */
function ignoredBy(filters: readonly FilterRuntime[], network: Network): Why['ignored'] {
  if (network.prefix !== (network.family === 'ipv4' ? 32 : 128)) return [];
  const ignored: { filter: string; rule: string }[] = [];
  for (const { filter } of filters) {
    for (const p of filter.patterns) {
      if (p.type === 'regex') continue;
      const valued = p.accept(network.address);
      if (valued !== undefined && 'ignoredBy' in valued)
        ignored.push({ filter: idOf(filter), rule: ruleOf(p, valued.ignoredBy) });
    }
  }
  return ignored;
}

function written(network: Network): string {
  const whole = network.prefix === (network.family === 'ipv4' ? 32 : 128);
  return whole ? network.address : `${network.address}/${network.prefix}`;
}

function idOf(filter: Filter): string {
  return `${filter.stream}.${filter.name}`;
}
