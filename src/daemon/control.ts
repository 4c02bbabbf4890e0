// The answers to the control requests: show, flush, trigger and status over the running
// state. Owns nothing; reads the filters' counts and the scheduler's pending actions, and
// asks them to forget, run or trigger. Receives decoded requests; sends responses, each
// after the writes it caused are durable. A `show` of 100k matches must stay well under a
// second: reports are built as flat columns, without an object per match.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Pattern } from '../concepts/pattern.js';
import { RegexError } from '../lib/errors.js';
import { quote } from '../lib/log.js';
import { type RegexNode, regex } from '../lib/regex/index.js';
import { closest } from '../lib/suggest.js';
import type {
  ClusterStatus,
  FilterReport,
  Limit,
  Request,
  Response,
  Selector,
  Status,
  StreamDown,
} from '../protocol.js';
import type { Executor } from './executor.js';
import type { FilterRuntime } from './filter.js';
import { pendingActions, type Scheduler } from './scheduler.js';
import type { KernelSets } from './sets.js';
import type { StateWrites } from './state/records.js';
import type { StreamRuntime } from './stream.js';
import type { VirtualSends } from './virtual.js';

export interface ControlDeps {
  readonly config: Config;
  readonly filters: readonly FilterRuntime[];
  readonly streams: readonly StreamRuntime[];
  readonly scheduler: Scheduler;
  readonly executor: Executor;
  readonly sets: KernelSets;
  readonly sends: VirtualSends;
  readonly store: StateWrites;
  readonly version: string;
  /** Ban sharing's status, when the configuration shares bans. */
  readonly cluster?: () => ClusterStatus | undefined;
}

type Test = (values: readonly string[]) => boolean;
/** The filters a request covers, each with the test its matches must pass (null: all pass). */
type Selection = ReadonlyMap<Filter, Test | null>;

/** Stream states that `show` and `flush` warn about. */
const DOWN: ReadonlySet<string> = new Set(['restarting', 'finished', 'stopped']);

class RequestError extends Error {}

const FLUSH_NOT_STORED: Response = {
  v: 1,
  ok: false,
  error:
    'cannot flush: the state file cannot be written (see the daemon log); the pending actions were not run and stay at their times',
};

export class Control {
  readonly #d: ControlDeps;

  constructor(deps: ControlDeps) {
    this.#d = deps;
  }

  /** Every request but `reload`, which the daemon answers itself. */
  async handle(request: Exclude<Request, { type: 'reload' }>): Promise<Response> {
    try {
      switch (request.type) {
        case 'show': {
          const report = this.#show(this.#selection(request.limit, request.selectors));
          return this.#durable({ v: 1, ok: true, report, down: this.#down(request.limit) });
        }
        case 'flush': {
          const report = this.#flush(this.#selection(request.limit, request.selectors));
          const ok: Response = { v: 1, ok: true, report, down: this.#down(request.limit) };
          return this.#durable(ok, FLUSH_NOT_STORED);
        }
        case 'trigger':
          return await this.#durable({ v: 1, ok: true, triggered: this.#trigger(request) });
        case 'status':
          return { v: 1, ok: true, status: this.#status() };
      }
    } catch (error) {
      if (error instanceof RequestError) return { v: 1, ok: false, error: error.message };
      throw error;
    }
  }

  /** Answers once everything the answer tells, counts included, is on disk (else `failed`). */
  #durable(response: Response, failed = response): Promise<Response> {
    return new Promise((resolve) =>
      this.#d.store.afterCommit((durable) => resolve(durable ? response : failed), {
        counts: true,
      }),
    );
  }

  #selection(limit: Limit | undefined, selectors: readonly Selector[]): Selection {
    const filters = this.#scope(limit);
    const tests = selectors.map(([name, source]) => ({
      name,
      test: this.#selectorTest(name, source),
    }));
    const selection = new Map<Filter, Test | null>();
    for (const filter of filters) {
      const names = filter.patterns.map((p) => p.name);
      const checks = tests.map(({ name, test }) => ({ at: names.indexOf(name), test }));
      // A filter without a selected pattern has no match that a selector keeps.
      if (checks.some((c) => c.at < 0)) continue;
      selection.set(
        filter,
        checks.length === 0 ? null : (values) => checks.every((c) => c.test(values[c.at]!)),
      );
    }
    return selection;
  }

  #scope(limit: Limit | undefined): Filter[] {
    const all = this.#d.filters.map((f) => f.filter);
    if (limit === undefined) return all;
    const inStream = all.filter((f) => f.stream === limit.stream);
    if (inStream.length === 0)
      throw new RequestError(unknown('stream', limit.stream, new Set(all.map((f) => f.stream))));
    if (limit.filter === undefined) return inStream;
    const one = inStream.filter((f) => f.name === limit.filter);
    if (one.length === 0) {
      const names = inStream.map((f) => f.name);
      throw new RequestError(unknown('filter', limit.filter, names, { stream: limit.stream }));
    }
    return one;
  }

  #selectorTest(name: string, source: string): (value: string) => boolean {
    if (!this.#d.config.patterns.has(name)) {
      const where = ` in selector ${name}=${source}`;
      throw new RequestError(unknown('pattern', name, this.#d.config.patterns.keys(), { where }));
    }
    let node: RegexNode;
    try {
      node = regex.parse(source);
    } catch (error) {
      if (!(error instanceof RegexError)) throw error;
      throw new RequestError(
        `bad regex in selector ${name}=${source}: ${error.message} (at character ${error.offset + 1})`,
      );
    }
    try {
      return regex.wholeMatcher(node, { linearOnly: true }).test;
    } catch (error) {
      // Limits of the linear-time engine (RE2's repetition counts).
      if (!(error instanceof RegexError)) throw error;
      throw new RequestError(`bad regex in selector ${name}=${source}: ${error.message}`);
    }
  }

  #show(selection: Selection): FilterReport[] {
    const now = Date.now();
    const reports = new Reports();
    for (const runtime of this.#d.filters) {
      const f = runtime.filter;
      const test = selection.get(f);
      if (test === undefined) continue;
      const oldest = now - f.retryperiod;
      for (const counted of runtime.counts()) {
        if (test !== null && !test(counted.values)) continue;
        const recent = countAfter(counted.times, oldest);
        if (recent > 0) reports.count(f, counted.values, recent);
      }
    }
    for (const live of this.#d.scheduler.pending()) {
      const test = selection.get(live.filter);
      if (test === undefined || (test !== null && !test(live.values))) continue;
      for (const [name, due] of pendingActions(live))
        reports.action(live.filter, live.values, name, due);
    }
    return reports.list(this.#d.filters);
  }

  /**
   * Forgets counts and runs pending actions now. The scheduler stores each flushed action as
   * due now before it starts: a crash before it finishes runs it once more at restart (an
   * unban again), instead of bringing it back at its old time with the ban that preceded it.
   */
  #flush(selection: Selection): FilterReport[] {
    const reports = new Reports();
    const now = Date.now();
    for (const runtime of this.#d.filters) {
      const f = runtime.filter;
      const test = selection.get(f);
      if (test === undefined) continue;
      for (const counted of runtime.forget((values) => test === null || test(values))) {
        // As `show` counted it: expired times that no sweep has dropped yet are not news.
        const recent = countAfter(counted.times, now - f.retryperiod);
        if (recent > 0) reports.count(f, counted.values, recent);
      }
    }
    const select = (filter: Filter, values: readonly string[]) => {
      const test = selection.get(filter);
      return test !== undefined && (test === null || test(values));
    };
    for (const { live, actions } of this.#d.scheduler.flush(select)) {
      for (const [name, due] of actions) reports.action(live.filter, live.values, name, due);
    }
    return reports.list(this.#d.filters);
  }

  #down(limit: Limit | undefined): StreamDown[] {
    const down: StreamDown[] = [];
    for (const s of this.#d.streams) {
      if (limit !== undefined && s.stream.name !== limit.stream) continue;
      const { state, lastExit } = s.status;
      if (!DOWN.has(state)) continue;
      down.push({ stream: s.stream.name, state, ...(lastExit === undefined ? {} : { lastExit }) });
    }
    return down;
  }

  #trigger(request: Extract<Request, { type: 'trigger' }>): string {
    const filter = this.#scope({ stream: request.stream, filter: request.filter })[0]!;
    const id = `${filter.stream}.${filter.name}`;
    const names = filter.patterns.map((p) => p.name);
    const extra = Object.keys(request.values).find((n) => !names.includes(n));
    if (extra !== undefined) {
      const its = names.length === 0 ? 'it has no pattern' : `its patterns: ${names.join(', ')}`;
      throw new RequestError(`cannot trigger ${id}: it has no pattern "${extra}" (${its})`);
    }
    const values = filter.patterns.map((p) => {
      const raw = request.values[p.name];
      if (raw === undefined) {
        const needed = names.map((n) => `${n}=VALUE`).join(' ');
        throw new RequestError(
          `cannot trigger ${id}: missing ${p.name}=VALUE (it needs ${needed})`,
        );
      }
      return this.#value(id, p, raw);
    });
    this.#d.scheduler.trigger(filter, values, Date.now());
    return `${id} ${matchName(filter, values)}`;
  }

  /** A value given to `trigger`: a value from outside, checked whole against its pattern. */
  #value(id: string, p: Pattern, raw: string): string {
    const valued = p.accept(raw);
    if (valued === undefined) {
      const kind = p.type === 'regex' ? `regex ${p.regex}` : `type ${p.type}`;
      throw new RequestError(
        `cannot trigger ${id}: ${p.name}=${quote(raw)} is not a valid value of pattern "${p.name}" (${kind})`,
      );
    }
    if ('ignoredBy' in valued) {
      throw new RequestError(
        `cannot trigger ${id}: ${p.name}=${quote(raw)} is ignored by ${ruleOf(p, valued.ignoredBy)}`,
      );
    }
    return valued.value;
  }

  #status(): Status {
    const streams: Status['streams'] = {};
    for (const s of this.#d.streams) {
      const st = s.status;
      streams[s.stream.name] = {
        state: st.state,
        restarts: st.restarts,
        bytes: st.bytes,
        dropped: st.dropped,
        ...(st.lastExit === undefined ? {} : { lastExit: st.lastExit }),
      };
    }
    const cluster = this.#d.cluster?.();
    return {
      pid: process.pid,
      version: this.#d.version,
      streams,
      matches: this.#d.filters.reduce((n, f) => n + f.size, 0),
      pending: this.#d.scheduler.size,
      actions: this.#actionCounts(),
      memory: memoryOf(process.memoryUsage()),
      ...(cluster === undefined ? {} : { cluster }),
    };
  }

  /** Each owner's counters: the executor's commands, the kernel sets, the virtual sends. */
  #actionCounts(): Status['actions'] {
    const { executor: e, sets, sends } = this.#d;
    const byType = {
      cmd: e.stats.started,
      nftables: sets.stats.nftables.started,
      ipset: sets.stats.ipset.started,
      virtual: sends.stats.started,
    };
    return {
      started: Object.values(byType).reduce((a, b) => a + b, 0),
      failed:
        e.stats.failed + sets.stats.nftables.failed + sets.stats.ipset.failed + sends.stats.failed,
      timedOut: e.stats.timedOut,
      running: e.running,
      waiting: e.waiting,
      byType,
    };
  }
}

/** A column being filled; sent as a (readonly) Column. */
interface Filling {
  readonly match: string[];
  readonly value: number[];
}

/** The filter reports of one answer, filled match by match. */
class Reports {
  readonly #byFilter = new Map<
    Filter,
    FilterReport & { counts: Filling; actions: Record<string, Filling> }
  >();

  count(filter: Filter, values: readonly string[], n: number): void {
    push(this.#of(filter).counts, matchName(filter, values), n);
  }

  action(filter: Filter, values: readonly string[], action: string, due: number): void {
    const actions = this.#of(filter).actions;
    actions[action] ??= { match: [], value: [] };
    push(actions[action], matchName(filter, values), due);
  }

  /** The reports in configuration order. */
  list(filters: readonly FilterRuntime[]): FilterReport[] {
    return filters.flatMap((f) => this.#byFilter.get(f.filter) ?? []);
  }

  #of(filter: Filter) {
    let report = this.#byFilter.get(filter);
    if (report === undefined) {
      const counts = { match: [], value: [] };
      report = { stream: filter.stream, filter: filter.name, counts, actions: {} };
      this.#byFilter.set(filter, report);
    }
    return report;
  }
}

function push(column: Filling, match: string, value: number): void {
  column.match.push(match);
  column.value.push(value);
}

/** The match as `show` names it: its value, or "name=value …" when the filter has several patterns. */
function matchName(filter: Filter, values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return filter.patterns.map((p, i) => `${p.name}=${values[i]}`).join(' ');
}

function countAfter(times: readonly number[], oldest: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && times[i]! > oldest; i--) n++;
  return n;
}

/** `unknown filter "ssh.faildlogin", did you mean "ssh.failedlogin"? (filters of ssh: …)` */
function unknown(
  what: string,
  name: string,
  known: Iterable<string>,
  o: { stream?: string; where?: string } = {},
): string {
  const list = [...known];
  const near = closest(name, list);
  const id = (n: string) => (o.stream === undefined ? n : `${o.stream}.${n}`);
  const hint = near === undefined ? '' : `, did you mean "${id(near)}"?`;
  const of = o.stream === undefined ? '' : ` of ${o.stream}`;
  const names = list.join(', ') || 'none';
  return `unknown ${what} "${id(name)}"${o.where ?? ''}${hint} (${what}s${of}: ${names})`;
}

/** The configuration rule behind a pattern's `ignoredBy`, with what it holds. */
function ruleOf(p: Pattern, ignoredBy: string): string {
  const place = `patterns.${p.name}`;
  if (ignoredBy.startsWith('ignore: ')) return `${place}.ignore (${ignoredBy.slice(8)})`;
  const i = /^ignoreregex\[(\d+)\]$/.exec(ignoredBy)?.[1];
  if (i !== undefined) return `${place}.ignoreregex[${i}] (${p.ignoreregex[Number(i)]})`;
  if (ignoredBy === 'ignorecidr') return `${place}.ignorecidr (${p.ignorecidr.join(', ')})`;
  return `${place}: ${ignoredBy}`;
}

/** Megabytes, for `status`: what the process holds, and what of it is the JavaScript heap. */
function memoryOf(m: NodeJS.MemoryUsage): {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
} {
  const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
  return {
    rss: mb(m.rss),
    heapUsed: mb(m.heapUsed),
    heapTotal: mb(m.heapTotal),
    external: mb(m.external),
  };
}
