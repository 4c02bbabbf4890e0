// `riposte start`: builds the runtime from the configuration and drives its life: socket,
// kernel sets, `start` commands, restored state, streams, then the orderly shutdown of §2.7.
// Owns the wiring between the parts and the timers that sweep and compact; receives
// signals; sends the exit status.

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Action } from '../concepts/action.js';
import { type Config, loadConfig } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { pluginsLine } from '../concepts/plugin.js';
import { renderTemplate } from '../concepts/template.js';
import { StateError } from '../lib/errors.js';
import { log, quote } from '../lib/log.js';
import type { Request, Response } from '../protocol.js';
import { Control } from './control.js';
import { Executor } from './executor.js';
import { FilterRuntime } from './filter.js';
import { Scheduler } from './scheduler.js';
import { KernelSets } from './sets.js';
import { ControlSocket } from './socket.js';
import { Store } from './state/store.js';
import { StreamRuntime } from './stream.js';
import { VirtualSends } from './virtual.js';

export interface DaemonOptions {
  readonly config: string;
  readonly socket: string;
  readonly actionTimeout: number;
  readonly version: string;
  /** Ends the process at once (second signal). */
  readonly exit: (code: number) => void;
}

const SWEEP_EVERY = 60_000;
/** Most triggers the history keeps, whatever its window: its size stays bounded. */
export const HISTORY_MOST = 100_000;

export async function runDaemon(options: DaemonOptions): Promise<number> {
  const loaded = await loadConfig(options.config);
  for (const w of loaded.warnings) log('WARN', `config: ${w.place}: ${w.message}`);
  if (!loaded.ok) {
    for (const e of loaded.errors) log('ERROR', `config: ${e.message}`);
    log(
      'ERROR',
      `cannot start: ${loaded.errors.length} error(s) in the configuration ${options.config}`,
    );
    return 1;
  }
  const plugins = pluginsLine(loaded.config.plugins);
  if (plugins !== undefined) log('INFO', plugins);
  // The socket before the state: a daemon started twice with one configuration is told that
  // another daemon answers on its socket, rather than that the state is locked.
  let daemon: Daemon | undefined;
  let socket: ControlSocket;
  try {
    socket = await ControlSocket.listen(options.socket, (request) =>
      daemon === undefined ? Promise.resolve(STARTING) : daemon.handle(request),
    );
  } catch (error) {
    log('ERROR', (error as Error).message);
    return 1;
  }
  const store = openStore(loaded.config.stateDirectory, loaded.config.history > 0);
  if (store === undefined) {
    await socket.close();
    return 1;
  }
  daemon = new Daemon(loaded.config, { store, socket, options });
  return daemon.run();
}

const STARTING: Response = { v: 1, ok: false, error: 'the daemon is starting: try again' };

function openStore(stateDirectory: string, history: boolean): Store | undefined {
  const directory = resolve(stateDirectory);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    return Store.open(directory, { history });
  } catch (error) {
    const message =
      error instanceof StateError
        ? error.message
        : `cannot create state directory ${directory}: ${(error as Error).message}`;
    log('ERROR', message);
    return undefined;
  }
}

class Daemon {
  readonly #config: Config;
  readonly #store: Store;
  readonly #options: DaemonOptions;
  readonly #executor: Executor;
  readonly #commands: Executor;
  readonly #sets: KernelSets;
  readonly #scheduler: Scheduler;
  readonly #filters: FilterRuntime[] = [];
  readonly #streams: StreamRuntime[] = [];
  readonly #virtual = new Map<string, StreamRuntime>();
  readonly #sends = new VirtualSends(this.#virtual);
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #socket: ControlSocket;
  readonly #control: Control;
  #stopping: Promise<number> | undefined;
  #finish: (code: number) => void = () => undefined;

  constructor(
    config: Config,
    deps: { store: Store; socket: ControlSocket; options: DaemonOptions },
  ) {
    const { store, socket, options } = deps;
    this.#config = config;
    this.#store = store;
    this.#socket = socket;
    this.#options = options;
    this.#executor = new Executor({
      concurrency: config.concurrency,
      timeout: options.actionTimeout,
    });
    this.#commands = new Executor({
      concurrency: 1,
      timeout: options.actionTimeout,
      nodeSpawn: true,
    });
    this.#sets = new KernelSets(config);
    this.#scheduler = new Scheduler({
      store,
      run: (f, a, v, done, run) => this.#runAction(f, a, v, { done, quiet: run.restored }),
    });
    const onTrigger = (
      filter: Filter,
      values: readonly string[],
      now: number,
      lines: readonly string[],
    ) => this.#scheduler.trigger(filter, values, now, lines);
    for (const stream of config.streams) {
      const filters = stream.filters.map((f) => new FilterRuntime(f, { store, onTrigger }));
      this.#filters.push(...filters);
      const runtime = new StreamRuntime(stream, {
        filters,
        onFinished: () => this.#streamFinished(),
      });
      this.#streams.push(runtime);
      if (stream.type === 'virtual') this.#virtual.set(stream.name, runtime);
    }
    this.#control = new Control({
      config,
      filters: this.#filters,
      streams: this.#streams,
      scheduler: this.#scheduler,
      executor: this.#executor,
      sets: this.#sets,
      sends: this.#sends,
      store,
      reads: store,
      version: options.version,
    });
  }

  handle(request: Request): Promise<Response> {
    return this.#control.handle(request);
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((done) => {
      this.#finish = done;
    });
    this.#handleSignals();
    if (!(await this.#startUp())) return this.#shutdown(1);
    log(
      'INFO',
      `riposte ${this.#options.version} started: ${this.#streams.length} stream(s), ${this.#filters.length} filter(s); control socket ${this.#socket.path}; state ${this.#store.path}`,
    );
    return finished;
  }

  /**
   * Sets, start commands, restored state, streams. A signal may come at any of its awaits:
   * once the shutdown has begun, nothing more is started (the shutdown would not stop it).
   */
  async #startUp(): Promise<boolean> {
    try {
      if (!this.#sets.empty) await this.#sets.create();
    } catch (error) {
      log('ERROR', `cannot start: ${(error as Error).message}`);
      return false;
    }
    for (const [i, argv] of this.#config.start.entries()) {
      if (this.#stopping !== undefined) return false;
      if (!(await this.#command(argv, `start[${i}]`))) {
        log(
          'ERROR',
          `cannot start: start[${i}] ${JSON.stringify(argv)} failed; running the stop commands`,
        );
        return false;
      }
    }
    if (this.#stopping !== undefined) return false;
    try {
      this.#restore();
    } catch (error) {
      if (!(error instanceof StateError)) throw error;
      log('ERROR', `cannot start: ${error.message}`);
      return false;
    }
    for (const stream of this.#streams) {
      if (this.#stopping !== undefined) return false;
      try {
        await stream.start();
      } catch (error) {
        log('ERROR', `cannot start: ${(error as Error).message}`);
        return false;
      }
    }
    if (this.#stopping !== undefined) return false;
    this.#timers.push(setInterval(() => this.#sweep(), SWEEP_EVERY));
    const rotation = this.#config.stateRotationInterval;
    if (rotation !== null) this.#timers.push(setInterval(() => this.#compact(), rotation));
    return true;
  }

  /** §2.5: counts and triggers back from the store, those of removed filters dropped. */
  #restore(): void {
    const byId = new Map(this.#filters.map((f) => [`${f.filter.stream}\0${f.filter.name}`, f]));
    const dropped = this.#store.dropFilters((stream, filter) => byId.has(`${stream}\0${filter}`));
    for (const { stream, filter } of dropped) {
      log(
        'INFO',
        `state: dropped the state of filter ${stream}.${filter}, which is no longer in the configuration`,
      );
    }
    const loaded = this.#store.load();
    const now = Date.now();
    const counts = loaded.counts.filter((c) => {
      const runtime = byId.get(`${c.stream}\0${c.filter}`);
      if (runtime === undefined) return false;
      if (this.#valid('count', runtime.filter, c.values)) return true;
      // With no times, it is forgotten, in the state file too.
      runtime.restore(c.values, { times: [], lines: [] }, now);
      return false;
    });
    for (const c of counts) byId.get(`${c.stream}\0${c.filter}`)!.restore(c.values, c, now);
    const triggers = loaded.triggers.filter((t) => {
      const runtime = byId.get(`${t.stream}\0${t.filter}`);
      if (runtime === undefined) return false;
      if (this.#valid('trigger', runtime.filter, t.values)) return true;
      this.#store.forgetTrigger(t.id);
      return false;
    });
    for (const t of triggers)
      this.#scheduler.restore(t, byId.get(`${t.stream}\0${t.filter}`)!.filter, now);
    const restored = this.#scheduler.restored();
    if (triggers.length + counts.length > 0) {
      // One line for them all: a restart with 100k bans must not write 100k lines.
      log(
        'INFO',
        `state: restored ${triggers.length} trigger(s) with ${this.#scheduler.size} pending action(s) and ${restored.held} ban(s) with no end, and ${counts.length} count(s); ${restored.again} action(s) run again, ${restored.overdue} run now for the first time`,
      );
    }
  }

  /**
   * Whether stored values are a match of the filter: one value of each of its patterns, as
   * `trigger` checks them. The state file is input too (edited, damaged, or written under
   * other patterns), and what it holds reaches actions; what fails is dropped and logged.
   */
  #valid(what: string, filter: Filter, values: readonly unknown[]): boolean {
    const drop = (why: string): false => {
      log(
        'ERROR',
        `state: dropped a ${what} of filter ${filter.stream}.${filter.name} from ${this.#store.path}: ${why}`,
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

  #runAction(
    filter: Filter,
    action: Action,
    values: readonly string[],
    o: { done: () => void; quiet: boolean },
  ): void {
    const { done, quiet } = o;
    const label = `${filter.stream}.${filter.name}.${action.name}`;
    switch (action.type) {
      case 'cmd':
        this.#executor.run({
          argv: action.argv.map((t) => renderTemplate(t, values)),
          label,
          done,
          quiet,
        });
        return;
      case 'virtual':
        this.#sends.send(label, action.to, renderTemplate(action.send, values), done);
        return;
      case 'ipset':
      case 'nftables': {
        const value = values[action.pattern]!;
        log(
          quiet ? 'DEBUG' : 'INFO',
          `${label}: ${action.add ? 'add' : 'delete'} ${quote(value)} ${action.add ? 'to' : 'from'} ${action.type} set ${action.set}`,
        );
        this.#sets.apply(action, value, () => done());
        return;
      }
    }
  }

  #command(argv: readonly string[], label: string): Promise<boolean> {
    return new Promise((done) =>
      this.#commands.run({ argv, label, done: (outcome) => done(outcome === 'ok') }),
    );
  }

  #sweep(): void {
    const now = Date.now();
    for (const f of this.#filters) f.sweep(now);
    this.#store.pruneHistory(now - this.#config.history, HISTORY_MOST);
  }

  #compact(): void {
    try {
      this.#store.compact();
      log('INFO', 'state: compacted');
    } catch (error) {
      log('ERROR', `state: cannot compact ${this.#store.path}: ${(error as Error).message}`);
    }
  }

  #streamFinished(): void {
    const commands = this.#streams.filter((s) => s.stream.type === 'cmd');
    if (commands.every((s) => s.status.state === 'finished')) {
      log('ERROR', 'every stream has ended: shutting down');
      void this.#shutdown(1);
    }
  }

  #handleSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.#stopping === undefined) {
        log('INFO', `${signal} received: shutting down (a second signal exits at once)`);
        void this.#shutdown(0);
        return;
      }
      log('WARN', `${signal} received again: exiting now`);
      this.#executor.killAll();
      this.#commands.killAll();
      for (const stream of this.#streams) stream.kill();
      try {
        this.#store.commit();
      } catch {
        // Every effect already reported was durable; what is lost was never acted on.
      }
      this.#options.exit(1);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /** §2.7: streams, onexit actions, running actions, stop commands, sets, state, socket. */
  #shutdown(code: number): Promise<number> {
    this.#stopping ??= this.#stop(code).then((status) => {
      this.#finish(status);
      return status;
    });
    return this.#stopping;
  }

  async #stop(code: number): Promise<number> {
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.all(this.#streams.map((s) => s.stop()));
    // Triggers of the last lines start their actions once stored: let them, before onexit.
    this.#store.commit();
    this.#scheduler.stop();
    await this.#scheduler.idle();
    await this.#executor.close();
    let status = code;
    for (const [i, argv] of this.#config.stop.entries()) {
      if (!(await this.#command(argv, `stop[${i}]`))) status = 1;
    }
    await this.#sets.destroy();
    try {
      this.#store.close();
    } catch (error) {
      log('ERROR', `state: cannot close ${this.#store.path}: ${(error as Error).message}`);
      status = 1;
    }
    await this.#socket.close();
    log('INFO', `stopped (exit status ${status})`);
    return status;
  }
}
