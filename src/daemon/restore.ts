// Start-up (behaviour §2.5): the stored counts and triggers back into the filters and the
// scheduler. Owns nothing; receives the store, the filter runtimes and the scheduler; drops
// the state of filters no longer in the configuration, and every stored value that is not a
// value of its pattern (the state file is input too), each with a log line; logs one
// summary line for what the restore did.

import type { Filter } from '../concepts/filter.js';
import { log } from '../lib/log.js';
import type { FilterRuntime } from './filter.js';
import type { Scheduler } from './scheduler.js';
import type { Store } from './state/store.js';

/** §2.5: counts and triggers back from the store, those of removed filters dropped. */
export function restoreState(parts: {
  store: Store;
  filters: readonly FilterRuntime[];
  scheduler: Scheduler;
}): void {
  const { store, filters, scheduler } = parts;
  const byId = new Map(filters.map((f) => [`${f.filter.stream}\0${f.filter.name}`, f]));
  const dropped = store.dropFilters((stream, filter) => byId.has(`${stream}\0${filter}`));
  for (const { stream, filter } of dropped) {
    log(
      'INFO',
      `state: dropped the state of filter ${stream}.${filter}, which is no longer in the configuration`,
    );
  }
  const loaded = store.load();
  const now = Date.now();
  const counts = loaded.counts.filter((c) => {
    const runtime = byId.get(`${c.stream}\0${c.filter}`);
    if (runtime === undefined) return false;
    if (valid(store, 'count', runtime.filter, c.values)) return true;
    // With no times, it is forgotten, in the state file too.
    runtime.restore(c.values, { times: [], lines: [] }, now);
    return false;
  });
  for (const c of counts) byId.get(`${c.stream}\0${c.filter}`)!.restore(c.values, c, now);
  const triggers = loaded.triggers.filter((t) => {
    const runtime = byId.get(`${t.stream}\0${t.filter}`);
    if (runtime === undefined) return false;
    if (valid(store, 'trigger', runtime.filter, t.values)) return true;
    store.forgetTrigger(t.id);
    return false;
  });
  for (const t of triggers) scheduler.restore(t, byId.get(`${t.stream}\0${t.filter}`)!.filter, now);
  const restored = scheduler.restored();
  if (triggers.length + counts.length > 0) {
    // One line for them all: a restart with 100k bans must not write 100k lines.
    log(
      'INFO',
      `state: restored ${triggers.length} trigger(s) with ${scheduler.size} pending action(s) and ${restored.held} ban(s) with no end, and ${counts.length} count(s); ${restored.again} action(s) run again, ${restored.overdue} run now for the first time`,
    );
  }
}

/**
 * Whether stored values are a match of the filter: one value of each of its patterns, as
 * `trigger` checks them. The state file is input too (edited, damaged, or written under
 * other patterns), and what it holds reaches actions; what fails is dropped and logged.
 */
function valid(store: Store, what: string, filter: Filter, values: readonly unknown[]): boolean {
  const drop = (why: string): false => {
    log(
      'ERROR',
      `state: dropped a ${what} of filter ${filter.stream}.${filter.name} from ${store.path}: ${why}`,
    );
    return false;
  };
  const patterns = filter.patterns;
  if (values.length !== patterns.length)
    return drop(
      `${JSON.stringify(values)} has ${values.length} value(s), not one per pattern (${patterns.map((p) => p.name).join(', ') || 'none'})`,
    );
  for (const [i, p] of patterns.entries()) {
    const value = values[i];
    if (typeof value !== 'string' || p.accept(value) === undefined)
      return drop(`${JSON.stringify(value)} is not a value of pattern "${p.name}"`);
  }
  return true;
}
