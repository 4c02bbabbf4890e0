// The answers to the control requests over the running state: show, flush, trigger, status,
// ban, unban and why. Owns nothing; reads the filters' counts and the scheduler's triggers,
// and asks them to forget, run, trigger or lift (reports.ts, why.ts). Receives decoded
// requests; sends responses, each after the writes it caused are durable.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Pattern } from '../concepts/pattern.js';
import { familyOf } from '../lib/ip.js';
import { quote } from '../lib/log.js';
import type {
  Banned,
  ClusterStatus,
  Limit,
  Request,
  Response,
  Status,
  StreamDown,
} from '../protocol.js';
import type { Executor } from './executor.js';
import type { FilterRuntime } from './filter.js';
import { flushReport, matchName, showReport } from './reports.js';
import type { Scheduler } from './scheduler.js';
import {
  addressOf,
  addressSelection,
  RequestError,
  ruleOf,
  scope,
  selection,
} from './selection.js';
import type { KernelSets } from './sets.js';
import type { StateReads, StateWrites } from './state/records.js';
import type { StreamRuntime } from './stream.js';
import type { VirtualSends } from './virtual.js';
import { why } from './why.js';

export interface ControlDeps {
  readonly config: Config;
  readonly filters: readonly FilterRuntime[];
  readonly streams: readonly StreamRuntime[];
  readonly scheduler: Scheduler;
  readonly executor: Executor;
  readonly sets: KernelSets;
  readonly sends: VirtualSends;
  readonly store: StateWrites;
  readonly reads: StateReads;
  readonly version: string;
  /** Ban sharing's status, when the configuration shares bans. */
  readonly cluster?: () => ClusterStatus | undefined;
}

/** Stream states that `show` and `flush` warn about. */
const DOWN: ReadonlySet<string> = new Set(['restarting', 'finished', 'stopped']);

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
      return await this.#answer(request);
    } catch (error) {
      if (error instanceof RequestError) return { v: 1, ok: false, error: error.message };
      throw error;
    }
  }

  async #answer(request: Exclude<Request, { type: 'reload' }>): Promise<Response> {
    switch (request.type) {
      case 'show': {
        // Read once everything queued before the request is on disk: what it tells is durable.
        await this.#committed();
        const selected = selection(this.#d.config, this.#filters(), request);
        const report = showReport(this.#d, selected, { lines: request.lines === true });
        return { v: 1, ok: true, report, down: this.#down(request.limit) };
      }
      case 'flush': {
        const report = flushReport(this.#d, selection(this.#d.config, this.#filters(), request));
        const ok: Response = { v: 1, ok: true, report, down: this.#down(request.limit) };
        return this.#durable(ok, FLUSH_NOT_STORED);
      }
      case 'unban': {
        const network = addressOf('unban', request.address);
        const report = flushReport(this.#d, addressSelection(this.#filters(), network));
        return this.#durable({ v: 1, ok: true, report, down: [] }, FLUSH_NOT_STORED);
      }
      case 'trigger':
        return this.#durable({ v: 1, ok: true, triggered: this.#trigger(request) });
      case 'ban':
        return this.#durable({ v: 1, ok: true, banned: this.#ban(request) });
      case 'why': {
        const network = addressOf('explain', request.address);
        await this.#committed();
        return { v: 1, ok: true, why: why(this.#d, network, Date.now()) };
      }
      case 'status':
        return { v: 1, ok: true, status: this.#status() };
    }
  }

  #filters(): Filter[] {
    return this.#d.filters.map((f) => f.filter);
  }

  /** Answers once everything the answer tells, counts included, is on disk (else `failed`). */
  async #durable(response: Response, failed = response): Promise<Response> {
    return (await this.#committed()) ? response : failed;
  }

  #committed(): Promise<boolean> {
    return new Promise((resolve) => this.#d.store.afterCommit(resolve, { counts: true }));
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
    const filter = scope(this.#filters(), { stream: request.stream, filter: request.filter })[0]!;
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
      return clientValue(`trigger ${id}`, p, raw);
    });
    this.#d.scheduler.trigger(filter, values, Date.now());
    return `${id} ${matchName(filter, values)}`;
  }

  /** `ban ADDRESS`: the filter named, or the only one whose match is that address alone. */
  #ban(request: Extract<Request, { type: 'ban' }>): Banned {
    const filter = banFilter(scope(this.#filters(), request.limit), request);
    const id = `${filter.stream}.${filter.name}`;
    const value = clientValue(
      `ban ${request.address} in ${id}`,
      filter.patterns[0]!,
      request.address,
    );
    const outcome = this.#d.scheduler.trigger(filter, [value], Date.now());
    if (outcome === 'none') {
      throw new RequestError(
        `cannot ban ${request.address} in ${id}: none of its actions runs for an ${familyOf(value) === 'ipv4' ? 'IPv4' : 'IPv6'} address (ipv4only, ipv6only)`,
      );
    }
    return { stream: filter.stream, filter: filter.name, match: value, outcome };
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
        ...(s.countLines ? { lines: st.lines } : {}),
        ...(st.lastLine === undefined ? {} : { lastLine: new Date(st.lastLine).toISOString() }),
        ...(st.lastStderr === undefined ? {} : { lastStderr: st.lastStderr }),
        ...(s.stream.source === undefined ? {} : { caughtUp: st.caughtUp }),
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

/**
 * The filter `ban` triggers: among those in scope whose match is one address pattern, the
 * only one, or the only one of them whose pattern takes this address's family.
 */
function banFilter(
  filters: readonly Filter[],
  request: { readonly address: string; readonly limit?: Limit },
): Filter {
  const takes = filters.filter((f) => f.patterns.length === 1 && f.patterns[0]!.type !== 'regex');
  const fits = takes.filter((f) => f.patterns[0]!.accept(request.address) !== undefined);
  const chosen = fits.length > 0 ? fits : takes;
  if (chosen.length === 1) return chosen[0]!;
  const where =
    request.limit === undefined
      ? ''
      : ` in ${request.limit.stream}${request.limit.filter === undefined ? '' : `.${request.limit.filter}`}`;
  if (chosen.length === 0) {
    const one = filters.length === 1 ? filters[0] : undefined;
    const its =
      one === undefined
        ? ''
        : ` (the match of ${one.stream}.${one.name} is ${one.patterns.map((p) => p.name).join(', ') || 'empty'}: use riposte trigger)`;
    throw new RequestError(
      `cannot ban ${request.address}: no filter${where} has one pattern of type ip, ipv4 or ipv6 as its match${its}`,
    );
  }
  const names = chosen.map((f) => `${f.stream}.${f.name}`).join(', ');
  throw new RequestError(
    `cannot ban ${request.address}: several filters${where} take an address (${names}): choose one with -l STREAM.FILTER`,
  );
}

/** A value from a client: a value from outside, checked whole against its pattern. */
function clientValue(doing: string, p: Pattern, raw: string): string {
  const valued = p.accept(raw);
  if (valued === undefined) {
    const kind = p.type === 'regex' ? `regex ${p.regex}` : `type ${p.type}`;
    throw new RequestError(
      `cannot ${doing}: ${p.name}=${quote(raw)} is not a valid value of pattern "${p.name}" (${kind})`,
    );
  }
  if ('ignoredBy' in valued) {
    throw new RequestError(
      `cannot ${doing}: ${p.name}=${quote(raw)} is ignored by ${ruleOf(p, valued.ignoredBy)}`,
    );
  }
  return valued.value;
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
