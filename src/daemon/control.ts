// The answers to the control requests: show, flush, trigger and status over the running
// state. Owns nothing; reads the filters' counts and the scheduler's pending actions, and
// asks them to forget, run or trigger. Receives decoded requests; sends responses, each
// after the writes it caused are durable.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { RegexError } from '../lib/errors.js';
import { localIsoTime } from '../lib/log.js';
import { regex } from '../lib/regex/index.js';
import type {
  Limit,
  MatchReport,
  Report,
  Request,
  Response,
  Selector,
  Status,
} from '../protocol.js';
import type { Executor } from './executor.js';
import type { FilterRuntime } from './filter.js';
import type { Scheduler } from './scheduler.js';
import type { Store } from './store.js';
import type { StreamRuntime } from './stream.js';

export interface ControlDeps {
  readonly config: Config;
  readonly filters: readonly FilterRuntime[];
  readonly streams: readonly StreamRuntime[];
  readonly scheduler: Scheduler;
  readonly executor: Executor;
  readonly store: Store;
  readonly version: string;
}

type Select = (filter: Filter, values: readonly string[]) => boolean;

class RequestError extends Error {}

export class Control {
  readonly #d: ControlDeps;

  constructor(deps: ControlDeps) {
    this.#d = deps;
  }

  async handle(request: Request): Promise<Response> {
    try {
      switch (request.type) {
        case 'show':
          return {
            v: 1,
            ok: true,
            report: this.#show(this.#selection(request.limit, request.selectors)),
          };
        case 'flush':
          return await this.#durable({
            v: 1,
            ok: true,
            report: this.#flush(this.#selection(request.limit, request.selectors)),
          });
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

  #durable(response: Response): Promise<Response> {
    return new Promise((resolve) => this.#d.store.afterCommit(() => resolve(response)));
  }

  #selection(limit: Limit | undefined, selectors: readonly Selector[]): Select {
    const filters = this.#scope(limit);
    const tests = selectors.map(
      ([name, source]) => [name, this.#selectorTest(name, source)] as const,
    );
    return (filter, values) => {
      if (!filters.has(filter)) return false;
      return tests.every(([name, test]) => {
        const i = filter.patterns.findIndex((p) => p.name === name);
        return i >= 0 && test(values[i]!);
      });
    };
  }

  #scope(limit: Limit | undefined): Set<Filter> {
    const all = this.#d.filters.map((f) => f.filter);
    if (limit === undefined) return new Set(all);
    const inStream = all.filter((f) => f.stream === limit.stream);
    if (inStream.length === 0) throw new RequestError(`unknown stream "${limit.stream}"`);
    if (limit.filter === undefined) return new Set(inStream);
    const one = inStream.filter((f) => f.name === limit.filter);
    if (one.length === 0)
      throw new RequestError(`unknown filter "${limit.stream}.${limit.filter}"`);
    return new Set(one);
  }

  #selectorTest(name: string, source: string): (value: string) => boolean {
    if (!this.#d.config.patterns.has(name)) {
      const known = [...this.#d.config.patterns.keys()].join(', ') || 'none';
      throw new RequestError(
        `unknown pattern "${name}" in selector ${name}=${source} (patterns: ${known})`,
      );
    }
    try {
      return regex.wholeMatcher(regex.parse(source));
    } catch (error) {
      if (!(error instanceof RegexError)) throw error;
      throw new RequestError(`bad regex in selector ${name}=${source}: ${error.message}`);
    }
  }

  #show(select: Select): Report {
    const report: Report = {};
    const now = Date.now();
    for (const runtime of this.#d.filters) {
      const f = runtime.filter;
      for (const counted of runtime.counts()) {
        if (!select(f, counted.values)) continue;
        const recent = counted.times.filter((t) => t > now - f.retryperiod).length;
        if (recent > 0) entry(report, f, counted.values).matches = recent;
      }
    }
    for (const live of this.#d.scheduler.pending()) {
      if (select(live.filter, live.values))
        addActions(entry(report, live.filter, live.values), live.pending);
    }
    return report;
  }

  #flush(select: Select): Report {
    const report: Report = {};
    for (const runtime of this.#d.filters) {
      for (const counted of runtime.forget((values) => select(runtime.filter, values))) {
        entry(report, runtime.filter, counted.values).matches = counted.times.length;
      }
    }
    for (const { live, actions } of this.#d.scheduler.flush(select)) {
      addActions(entry(report, live.filter, live.values), actions);
    }
    return report;
  }

  #trigger(request: Extract<Request, { type: 'trigger' }>): string {
    const runtime = this.#d.filters.find(
      (f) => f.filter.stream === request.stream && f.filter.name === request.filter,
    );
    if (runtime === undefined) {
      const stream = this.#d.filters.some((f) => f.filter.stream === request.stream);
      throw new RequestError(
        stream
          ? `unknown filter "${request.stream}.${request.filter}"`
          : `unknown stream "${request.stream}"`,
      );
    }
    const filter = runtime.filter;
    const names = filter.patterns.map((p) => p.name);
    const extra = Object.keys(request.values).find((n) => !names.includes(n));
    if (extra !== undefined) {
      throw new RequestError(
        `filter ${request.stream}.${request.filter} has no pattern "${extra}" (its patterns: ${names.join(', ') || 'none'})`,
      );
    }
    const values = filter.patterns.map((p) => {
      const raw = request.values[p.name];
      if (raw === undefined)
        throw new RequestError(
          `missing ${p.name}=VALUE: filter ${request.stream}.${request.filter} needs ${names.map((n) => `${n}=…`).join(' ')}`,
        );
      const valued = p.value(raw);
      if (valued === undefined)
        throw new RequestError(
          `${p.name}=${raw}: not a valid value of pattern "${p.name}" (${p.type})`,
        );
      if ('ignoredBy' in valued)
        throw new RequestError(`${p.name}=${raw}: ignored by ${valued.ignoredBy}`);
      return valued.value;
    });
    this.#d.scheduler.trigger(filter, values, Date.now());
    return `${request.stream}.${request.filter} ${matchName(filter, values)}`;
  }

  #status(): Status {
    const streams: Status['streams'] = {};
    for (const s of this.#d.streams) {
      const st = s.status;
      streams[s.stream.name] = {
        state: st.state,
        restarts: st.restarts,
        lines: st.lines,
        ...(st.lastExit === undefined ? {} : { lastExit: st.lastExit }),
      };
    }
    const e = this.#d.executor;
    return {
      pid: process.pid,
      version: this.#d.version,
      streams,
      matches: this.#d.filters.reduce((n, f) => n + f.size, 0),
      pending: this.#d.scheduler.size,
      actions: { ...e.stats, running: e.running, waiting: e.waiting },
    };
  }
}

/** The match as `show` names it: its value, or "name=value …" when the filter has several patterns. */
export function matchName(filter: Filter, values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  return filter.patterns.map((p, i) => `${p.name}=${values[i]}`).join(' ');
}

function entry(report: Report, filter: Filter, values: readonly string[]): MatchReport {
  report[filter.stream] ??= {};
  const stream = report[filter.stream]!;
  stream[filter.name] ??= {};
  const byMatch = stream[filter.name]!;
  const name = matchName(filter, values);
  byMatch[name] ??= {};
  return byMatch[name]!;
}

function addActions(target: MatchReport, pending: ReadonlyMap<string, number>): void {
  target.actions ??= {};
  const actions = target.actions;
  for (const [name, due] of pending) {
    actions[name] ??= [];
    actions[name]!.push(localIsoTime(due));
  }
}
