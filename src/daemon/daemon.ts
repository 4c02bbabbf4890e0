// The running daemon: builds the runtime from the configuration and drives its life: kernel
// sets, `start` commands, restored state, streams, then the orderly shutdown of §2.7; and in
// between, reloads of the configuration (`riposte reload`, SIGHUP). Owns the wiring between
// the parts, the configuration in use and the timers that sweep and compact; receives
// signals and requests; sends the exit status, and its life to systemd.

import type { Config } from '../concepts/config.js';
import { journalWarnings } from '../concepts/lint-sources.js';
import { ConfigError, StateError } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { Request, Response } from '../protocol.js';
import type { ClusterRuntime } from './cluster/cluster.js';
import { Control } from './control.js';
import { Executor } from './executor.js';
import { renderMetrics } from './metrics.js';
import type { Notifier } from './notify.js';
import { ActionOutcomes } from './outcomes.js';
import { Pipeline } from './pipeline.js';
import { Reloader } from './reloader.js';
import { restoreState } from './restore.js';
import { ActionRunner } from './runner.js';
import { Scheduler } from './scheduler.js';
import { KernelSets } from './sets.js';
import { type Parts, snapshotOf, statusLine } from './snapshot.js';
import type { ControlSocket } from './socket.js';
import type { Store } from './state/store.js';
import { VirtualSends } from './virtual.js';

export interface DaemonOptions {
  readonly config: string;
  readonly socket: string;
  readonly actionTimeout: number;
  readonly version: string;
  /** Ends the process at once (second signal). */
  readonly exit: (code: number) => void;
}

interface Deps {
  readonly store: Store;
  readonly socket: ControlSocket;
  readonly options: DaemonOptions;
  readonly notifier: Notifier | undefined;
}

const SWEEP_EVERY = 60_000;
/** Most triggers the history keeps, whatever its window: its size stays bounded. */
export const HISTORY_MOST = 100_000;

export class Daemon {
  #config: Config;
  readonly #store: Store;
  readonly #options: DaemonOptions;
  readonly #notifier: Notifier | undefined;
  readonly #executor: Executor;
  readonly #commands: Executor;
  readonly #sets: KernelSets;
  readonly #scheduler: Scheduler;
  readonly #pipeline: Pipeline;
  readonly #sends: VirtualSends;
  readonly #runner: ActionRunner;
  readonly #outcomes = new ActionOutcomes();
  readonly #reloader: Reloader;
  readonly #socket: ControlSocket;
  #cluster: ClusterRuntime | undefined;
  #control: Control;
  #sweepTimer: NodeJS.Timeout | undefined;
  #compactTimer: NodeJS.Timeout | undefined;
  readonly #startTime = Date.now();
  #stopping: Promise<number> | undefined;
  #finish: (code: number) => void = () => undefined;

  constructor(config: Config, deps: Deps) {
    const { store, socket, options } = deps;
    this.#config = config;
    this.#store = store;
    this.#socket = socket;
    this.#options = options;
    this.#notifier = deps.notifier;
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
      run: (filter, action, values, done, _trigger, time, quiet) =>
        this.#runner.run({ filter, action, values, time, quiet }, done),
    });
    this.#pipeline = new Pipeline(config, {
      store,
      scheduler: this.#scheduler,
      onTrigger: (filter, values, now, lines) =>
        this.#scheduler.trigger(filter, values, now, lines, this.#carries(filter.stream)),
      onFinished: () => this.#streamFinished(),
    });
    this.#sends = new VirtualSends(this.#pipeline.virtual);
    this.#runner = new ActionRunner({
      executor: this.#executor,
      sets: this.#sets,
      sends: this.#sends,
      outcomes: this.#outcomes,
      since: this.#startTime,
      share: (line, time) => this.#cluster?.share(line, time),
    });
    this.#control = this.#newControl();
    this.#reloader = new Reloader({
      path: options.config,
      pipeline: this.#pipeline,
      sets: this.#sets,
      notifier: this.#notifier,
      scrape: () => renderMetrics(snapshotOf(this.#parts())),
      status: () => statusLine(this.#parts()),
      daemon: {
        config: () => this.#config,
        stopping: () => this.#stopping !== undefined,
        applied: (next) => this.#applied(next),
      },
    });
  }

  handle(request: Request): Promise<Response> {
    if (request.type === 'reload')
      return this.#reloader
        .request('riposte reload')
        .then((reload) => ({ v: 1, ok: true, reload }));
    return this.#control.handle(request);
  }

  async run(): Promise<number> {
    const finished = new Promise<number>((done) => {
      this.#finish = done;
    });
    this.#handleSignals();
    this.#notifier?.watch(() => statusLine(this.#parts()));
    const started = await this.#startUp();
    this.#reloader.open();
    if (!started) return this.#shutdown(1);
    log(
      'INFO',
      `riposte ${this.#options.version} started: ${this.#pipeline.streams.length} stream(s), ${this.#pipeline.filters.length} filter(s); control socket ${this.#socket.path}; state ${this.#store.path}${this.#reloader.metrics === undefined ? '' : `; metrics ${this.#reloader.metrics}`}`,
    );
    void this.#notifier?.ready(statusLine(this.#parts()));
    void journalWarnings(this.#config).then((warnings) => {
      for (const w of warnings) log('WARN', `config: ${w}`);
    });
    return finished;
  }

  /**
   * Metrics, sets, start commands, restored state, streams. A signal may come at any of its
   * awaits: once the shutdown has begun, nothing more is started (the shutdown would not stop it).
   */
  async #startUp(): Promise<boolean> {
    try {
      await this.#reloader.serveMetrics(this.#config.metrics);
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
      // Before the restore: a restored trigger's cluster action writes to the outbox.
      await this.#startCluster();
      restoreState({
        store: this.#store,
        filters: this.#pipeline.filters,
        scheduler: this.#scheduler,
      });
    } catch (error) {
      if (!(error instanceof StateError || error instanceof ConfigError)) throw error;
      log('ERROR', `cannot start: ${error.message}`);
      return false;
    }
    for (const stream of this.#pipeline.streams) {
      if (this.#stopping !== undefined) return false;
      try {
        await stream.start();
      } catch (error) {
        log('ERROR', `cannot start: ${(error as Error).message}`);
        return false;
      }
    }
    if (this.#stopping !== undefined) return false;
    this.#sweepTimer = setInterval(() => this.#sweep(), SWEEP_EVERY);
    this.#armCompaction();
    return true;
  }

  /**
   * Ban sharing, when a stream or an action of type cluster uses it: connects in the
   * background. Received lines go to the cluster stream in use when they arrive (a reload
   * may have made it anew); the `cluster` key itself is read at start-up only.
   */
  async #startCluster(): Promise<void> {
    const config = this.#config.cluster;
    const used = this.#config.streams.some(
      (s) =>
        s.type === 'cluster' || s.filters.some((f) => f.actions.some((a) => a.type === 'cluster')),
    );
    if (config === undefined || !used) return;
    const receives = this.#config.streams.some((s) => s.type === 'cluster');
    // Loaded only here: most configurations share no ban, and need not hold its code.
    const { ClusterRuntime } = await import('./cluster/cluster.js');
    this.#cluster = new ClusterRuntime(config, {
      records: this.#store.loadCluster(),
      store: this.#store.cluster,
      deliver: receives
        ? (line, time) =>
            this.#pipeline.streams.find((s) => s.stream.type === 'cluster')?.feed(line, time)
        : undefined,
    });
    await this.#cluster.start();
  }

  #command(argv: readonly string[], label: string): Promise<boolean> {
    return new Promise((done) =>
      this.#commands.run({ argv, label, done: (outcome) => done(outcome === 'ok') }),
    );
  }

  /** A reload's new configuration is in place in the pipeline and the sets: the rest follows. */
  #applied(next: Config): void {
    this.#config = next;
    this.#executor.resize(next.concurrency);
    this.#control = this.#newControl();
    this.#armCompaction();
  }

  #newControl(): Control {
    return new Control({
      config: this.#config,
      filters: this.#pipeline.filters,
      streams: this.#pipeline.streams,
      scheduler: this.#scheduler,
      executor: this.#executor,
      sets: this.#sets,
      sends: this.#sends,
      store: this.#store,
      reads: this.#store,
      version: this.#options.version,
      cluster: () => this.#cluster?.status,
    });
  }

  /**
   * Whether the lines of `stream` carry their own time, which may be past: other hosts'
   * lines through NATS, and the lines a file or journal stream reads on resume.
   */
  #carries(stream: string): boolean {
    return this.#config.streams.some(
      (s) => s.name === stream && (s.type === 'cluster' || s.source !== undefined),
    );
  }

  #parts(): Parts {
    return {
      version: this.#options.version,
      startTime: this.#startTime,
      pipeline: this.#pipeline,
      scheduler: this.#scheduler,
      executor: this.#executor,
      sets: this.#sets,
      outcomes: this.#outcomes,
      statePath: this.#store.path,
      reloads: this.#reloader.counts,
      cluster: this.#cluster?.status,
    };
  }

  #sweep(): void {
    const now = Date.now();
    for (const f of this.#pipeline.filters) f.sweep(now);
    this.#store.pruneHistory(now - this.#config.history, HISTORY_MOST);
  }

  /** The compaction timer, at the configured interval (again after a reload). */
  #armCompaction(): void {
    clearInterval(this.#compactTimer);
    this.#compactTimer = undefined;
    const rotation = this.#config.stateRotationInterval;
    if (rotation !== null) this.#compactTimer = setInterval(() => this.#compact(), rotation);
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
    const commands = this.#pipeline.streams.filter((s) => s.stream.type === 'cmd');
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
      for (const stream of this.#pipeline.streams) stream.kill();
      try {
        this.#store.commit();
      } catch {
        // Every effect already reported was durable; what is lost was never acted on.
      }
      this.#options.exit(1);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', () => void this.#reloader.request('SIGHUP received'));
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
    void this.#notifier?.stopping();
    clearInterval(this.#sweepTimer);
    clearInterval(this.#compactTimer);
    // A reload under way finishes first: it may be starting streams.
    await this.#reloader.idle();
    // The cluster is a source of lines too; lines shared from now on wait in the outbox.
    await Promise.all([...this.#pipeline.streams.map((s) => s.stop()), this.#cluster?.stop()]);
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
    await this.#reloader.close();
    await this.#socket.close();
    log('INFO', `stopped (exit status ${status})`);
    await this.#notifier?.close();
    return status;
  }
}
