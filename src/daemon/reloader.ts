// Reloads of the configuration (`riposte reload`, SIGHUP): one at a time, in the order asked,
// none before start-up is over. Each reads the daemon's -c path again and is refused whole
// on any error; else what can fail is done first (the metrics listener, the kernel sets),
// then the swap, then the streams that stop and start. Owns the queue of reloads, their
// counts and the metrics server (which a reload may move); receives the requests; sends the
// new configuration to the parts, a report to the caller, lines to the log and to systemd.

import type { Config } from '../concepts/config.js';
import { loadConfig } from '../concepts/config.js';
import type { MetricsConfig } from '../concepts/metrics.js';
import { log } from '../lib/log.js';
import type { ReloadReport } from '../protocol.js';
import type { MetricsSnapshot } from './metrics.js';
import type { MetricsServer } from './metrics-server.js';
import type { Notifier } from './notify.js';
import type { Pipeline } from './pipeline.js';
import { planReload } from './reload.js';
import type { KernelSets } from './sets.js';

export interface ReloaderDeps {
  readonly path: string;
  readonly pipeline: Pipeline;
  readonly sets: KernelSets;
  readonly notifier: Notifier | undefined;
  /** The text of a scrape. */
  readonly scrape: () => string;
  /** systemd's STATUS= line. */
  readonly status: () => string;
  /** The daemon: the configuration in use, whether it is stopping, and the new one to take. */
  readonly daemon: {
    config(): Config;
    stopping(): boolean;
    applied(next: Config): void;
  };
}

export class Reloader {
  readonly #d: ReloaderDeps;
  #metrics: MetricsServer | undefined;
  #queue: Promise<unknown>;
  #open: () => void = () => undefined;
  readonly #counts: Mutable<MetricsSnapshot['reloads']> = {
    succeeded: 0,
    failed: 0,
    lastSucceeded: true,
    lastApplied: Date.now(),
  };

  constructor(deps: ReloaderDeps) {
    this.#d = deps;
    this.#queue = new Promise<void>((open) => {
      this.#open = open;
    });
  }

  get counts(): MetricsSnapshot['reloads'] {
    return this.#counts;
  }

  /** Where the metrics are served, for the start line; undefined when they are not. */
  get metrics(): string | undefined {
    return this.#metrics?.address;
  }

  /** Start-up: serves the metrics if asked; rejects with a one-line reason. */
  async serveMetrics(config: MetricsConfig | null): Promise<void> {
    // Loaded only here: the HTTP server's code stays out of a daemon that serves no metrics.
    if (config !== null) {
      const { MetricsServer } = await import('./metrics-server.js');
      this.#metrics = await MetricsServer.listen(config, this.#d.scrape);
    }
  }

  /** Start-up is over (well or not): reloads may run. */
  open(): void {
    this.#open();
  }

  request(why: string): Promise<ReloadReport> {
    const report = this.#queue
      .then(() => this.#reload(why))
      .catch((error: Error) => {
        // A fault of riposte's own, not of the configuration: said, and the daemon goes on.
        log('ERROR', `reload: internal error: ${error.stack ?? error.message}`);
        return this.#refused(this.#d.path, [`internal error: ${error.message}`], []);
      });
    this.#queue = report.then(
      (r) => this.#count(r.applied),
      () => this.#count(false),
    );
    return report;
  }

  /** Resolves once no reload runs or waits. */
  async idle(): Promise<void> {
    let seen: Promise<unknown>;
    do {
      seen = this.#queue;
      await seen;
    } while (seen !== this.#queue);
  }

  /** Shutdown: the metrics go last, so that a scrape can watch it. */
  async close(): Promise<void> {
    await this.#metrics?.close();
    this.#metrics = undefined;
  }

  async #reload(why: string): Promise<ReloadReport> {
    const { path, notifier } = this.#d;
    void notifier?.reloading();
    log('INFO', `reload: ${why}: reading ${path}`);
    const report = await this.#apply(path);
    for (const w of report.warnings) log('WARN', `config: ${w}`);
    if (report.applied) for (const c of report.changes) log('INFO', `reload: ${c}`);
    for (const e of report.errors) log('ERROR', `reload: ${e}`);
    if (report.applied) log('INFO', `reload: applied ${path} (${report.changes.length} change(s))`);
    else
      log(
        'ERROR',
        `reload: not applied: ${report.errors.length} error(s); the configuration in use stays`,
      );
    void notifier?.ready(this.#d.status());
    return report;
  }

  async #apply(path: string): Promise<ReloadReport> {
    const { daemon, pipeline } = this.#d;
    const refused = (errors: readonly string[], warnings: readonly string[] = []) =>
      this.#refused(path, errors, warnings);
    const stopping = ['riposte is shutting down'];
    if (daemon.stopping()) return refused(stopping);
    const loaded = await loadConfig(path);
    const warnings = loaded.warnings.map((w) => `${w.place}: ${w.message}`);
    if (!loaded.ok)
      return refused(
        loaded.errors.map((e) => e.message),
        warnings,
      );
    if (daemon.stopping()) return refused(stopping, warnings);
    const next = loaded.config;
    const plan = planReload(daemon.config(), next);
    if (plan.errors.length > 0) return refused(plan.errors, warnings);
    let prepared: { changes: string[]; old: MetricsServer | undefined };
    try {
      prepared = await this.#prepare(next);
    } catch (error) {
      return refused([(error as Error).message], warnings);
    }
    // The swap comes in the same turn as the sets' change: nothing is awaited in between.
    const { stop, start } = pipeline.apply(next, plan);
    daemon.applied(next);
    const changes = [...plan.changes, ...prepared.changes];
    if (prepared.old !== this.#metrics) await prepared.old?.close();
    await Promise.all(stop.map((s) => s.stop()));
    const errors: string[] = [];
    for (const stream of start) {
      if (daemon.stopping()) break;
      await stream.start().catch((error: Error) => errors.push(error.message));
    }
    return { config: path, applied: true, errors, warnings, changes };
  }

  /**
   * What can fail, while the configuration in use is whole: the metrics listener moves (the
   * old one is returned, still open) and the kernel sets follow `next`. On a failure, what
   * was done is undone where it can be (a new listener is closed) and the error thrown.
   */
  async #prepare(next: Config): Promise<{ changes: string[]; old: MetricsServer | undefined }> {
    const old = this.#metrics;
    const metrics =
      next.metrics === null
        ? undefined
        : await (await import('./metrics-server.js')).MetricsServer.follow(
            old,
            next.metrics,
            this.#d.scrape,
          );
    let sets: string[];
    try {
      sets = await this.#d.sets.reconcile(next);
    } catch (error) {
      if (metrics !== old) await metrics?.close();
      throw error;
    }
    this.#metrics = metrics;
    if (metrics === old) return { changes: sets, old };
    const moved = metrics === undefined ? 'no longer served' : `served on ${metrics.address}`;
    return { changes: [...sets, `metrics: ${moved}`], old };
  }

  #refused(path: string, errors: readonly string[], warnings: readonly string[]): ReloadReport {
    return { config: path, applied: false, errors, warnings, changes: [] };
  }

  #count(applied: boolean): void {
    if (applied) {
      this.#counts.succeeded++;
      this.#counts.lastApplied = Date.now();
    } else this.#counts.failed++;
    this.#counts.lastSucceeded = applied;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
