// The streams and filters of the configuration in use: owns their runtimes, in configuration
// order, and the map of virtual streams. Receives the configuration at start-up and each
// reload's plan; hands the filters' new definitions to their runtimes and to the scheduler,
// the removed filters' state to the store, and the streams to stop and to start back to the
// daemon. A reload's swap is synchronous: a block of lines is read wholly before or after it.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Pattern } from '../concepts/pattern.js';
import { log } from '../lib/log.js';
import { FilterRuntime, type OnTrigger } from './filter.js';
import { type ReloadPlan, samePatterns } from './reload.js';
import type { Scheduler } from './scheduler.js';
import type { Store } from './state/store.js';
import { type Positions, StreamRuntime } from './stream.js';

export interface PipelineDeps {
  readonly store: Store;
  readonly scheduler: Scheduler;
  readonly onTrigger: OnTrigger;
  /** A stream has finished (exited 0). */
  readonly onFinished: () => void;
}

export class Pipeline {
  #filters: readonly FilterRuntime[] = [];
  #streams: readonly StreamRuntime[] = [];
  /** Virtual streams by name, for the virtual actions; the same map across reloads. */
  readonly virtual = new Map<string, StreamRuntime>();
  readonly #deps: PipelineDeps;
  readonly #positions: Positions;

  constructor(config: Config, deps: PipelineDeps) {
    this.#deps = deps;
    this.#positions = positionsOf(deps.store);
    this.#build(config, new Map(), new Map());
  }

  get filters(): readonly FilterRuntime[] {
    return this.#filters;
  }

  get streams(): readonly StreamRuntime[] {
    return this.#streams;
  }

  /**
   * A reload's swap: the runtimes of kept filters take their new definition (counts follow
   * the rules of FilterRuntime.reconfigure), the scheduler's pending triggers follow them,
   * the state of removed filters is dropped as at start-up, kept streams get their new
   * filters and go on reading. Returns the streams for the daemon to stop, then to start.
   */
  apply(next: Config, plan: ReloadPlan): { stop: StreamRuntime[]; start: StreamRuntime[] } {
    const now = Date.now();
    const { store, scheduler } = this.#deps;
    const byId = new Map(this.#filters.map((f) => [idOf(f.filter), f]));
    const kept = new Map<string, FilterRuntime>();
    for (const [from, to] of plan.keptFilters) {
      const runtime = byId.get(idOf(from))!;
      const accept = samePatterns(from, to) ? undefined : acceptor(from, to);
      const dropped = runtime.reconfigure(to, { now, accept });
      if (dropped > 0)
        log(
          'INFO',
          `reload: filter ${idOf(to)}: ${dropped} count(s) its new definition does not allow dropped`,
        );
      kept.set(idOf(to), runtime);
    }
    const droppedActions = scheduler.reconfigure(plan.keptFilters, reorder);
    if (droppedActions > 0)
      log(
        'INFO',
        `reload: ${droppedActions} pending action(s) the new configuration does not run dropped`,
      );
    // Every write queued so far reaches the file before the rows of removed filters go.
    store.commit();
    const live = new Set(next.streams.flatMap((s) => s.filters).map(idOf));
    for (const f of store.dropFilters((stream, filter) => live.has(`${stream}.${filter}`)))
      log(
        'INFO',
        `state: dropped the state of filter ${f.stream}.${f.filter}, which is no longer in the configuration`,
      );
    const streams = new Map(this.#streams.map((s) => [s.stream.name, s]));
    const keptStreams = new Map(plan.keptStreams.map(({ to }) => [to.name, streams.get(to.name)!]));
    const stop = plan.stopStreams.map((s) => streams.get(s.name)!);
    // A stream that is gone forgets where it was (one changed resumes there).
    for (const s of plan.stopStreams)
      if (s.source !== undefined && !next.streams.some((n) => n.name === s.name))
        this.#positions.set(s.name, undefined);
    const before = new Set(this.#streams);
    this.#build(next, kept, keptStreams);
    return { stop, start: this.#streams.filter((s) => !before.has(s)) };
  }

  /**
   * Runtimes for the configuration's streams, reusing those given (kept by a reload) by filter
   * id and stream name; they count lines when the metrics are served.
   */
  #build(
    config: Config,
    keptFilters: ReadonlyMap<string, FilterRuntime>,
    keptStreams: ReadonlyMap<string, StreamRuntime>,
  ): void {
    const { store, onTrigger, onFinished } = this.#deps;
    const filters: FilterRuntime[] = [];
    const runtimes: StreamRuntime[] = [];
    this.virtual.clear();
    for (const stream of config.streams) {
      const own = stream.filters.map(
        (f) => keptFilters.get(idOf(f)) ?? new FilterRuntime(f, { store, onTrigger }),
      );
      filters.push(...own);
      let runtime = keptStreams.get(stream.name);
      if (runtime === undefined)
        runtime = new StreamRuntime(stream, {
          filters: own,
          onFinished,
          positions: this.#positions,
        });
      else runtime.reconfigure(stream, own);
      runtime.countLines ||= config.metrics !== null;
      runtimes.push(runtime);
      if (stream.type === 'virtual') this.virtual.set(stream.name, runtime);
    }
    this.#filters = filters;
    this.#streams = runtimes;
  }
}

/**
 * Where the file and journal streams resume: the state's positions, read once, under the
 * last each stream reported (committed or not), so that a stream started again by a reload
 * resumes where the one it replaces stopped.
 */
function positionsOf(store: Store): Positions {
  let known: Map<string, unknown> | undefined;
  const all = () => (known ??= store.loadPositions());
  return {
    get: (stream) => all().get(stream),
    set: (stream, position) => {
      if (position === undefined) all().delete(stream);
      else all().set(stream, position);
      store.positions.set(stream, position);
    },
  };
}

/**
 * How a count of `from` becomes one of `to` when the patterns changed: each value is taken
 * from the pattern of the same name and must be a value of the new pattern, checked whole as
 * any value from outside a capture (Pattern.accept), not ignored by it; it is counted under
 * its canonical form (a new mask makes it its network). Undefined when one is not.
 */
export function acceptor(
  from: Filter,
  to: Filter,
): (values: readonly string[]) => string[] | undefined {
  return (values) => {
    const kept: string[] = [];
    for (const p of to.patterns) {
      const value = accepted(p, values[from.patterns.findIndex((q) => q.name === p.name)]);
      if (value === undefined) return undefined;
      kept.push(value);
    }
    return kept;
  };
}

function accepted(p: Pattern, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const valued = p.accept(text);
  return valued !== undefined && 'value' in valued ? valued.value : undefined;
}

/**
 * A pending trigger's values in the new patterns' order: the same values (a pending unban
 * undoes what was banned, whatever the new ignore rules say); undefined when a new pattern
 * has no value in the old ones.
 */
export function reorder(
  from: Filter,
  to: Filter,
  values: readonly string[],
): readonly string[] | undefined {
  const names = from.patterns.map((p) => p.name);
  if (to.patterns.every((p, i) => p.name === names[i]) && names.length === to.patterns.length)
    return values;
  const reordered: string[] = [];
  for (const p of to.patterns) {
    const i = names.indexOf(p.name);
    if (i < 0) return undefined;
    reordered.push(values[i]!);
  }
  return reordered;
}

function idOf(f: Filter): string {
  return `${f.stream}.${f.name}`;
}
