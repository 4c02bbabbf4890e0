// The whole configuration: loads the files, merges them, validates every key and builds the
// frozen model the daemon and the client commands use. Receives the -c path; sends a
// Config and its warnings, or every error found.

import type { ConfigError } from '../lib/errors.js';
import { Checker, describe, isPlainObject, type Path, type Warning } from './check.js';
import { buildCluster, type Cluster } from './cluster.js';
import { keyPath } from './document.js';
import { expandLibrary } from './library.js';
import { lintConfig } from './lint.js';
import { lintSources } from './lint-sources.js';
import { loadDocuments } from './load.js';
import { mergeDocuments } from './merge.js';
import { type MetricsConfig, readMetrics } from './metrics.js';
import { buildPattern, type Pattern } from './pattern.js';
import { type PluginDeclaration, readPlugins } from './plugin.js';
import { type Scope, scopeOf } from './scope.js';
import { buildStream, type Stream } from './stream.js';

const KEYS = [
  'patterns',
  'streams',
  'start',
  'stop',
  'concurrency',
  'state_directory',
  'state_rotation_interval',
  'history',
  'plugins',
  'metrics',
  'cluster',
];
const MIN_ROTATION = 30 * 60_000;
const DEFAULT_HISTORY = 7 * 86_400_000;

export interface Config {
  readonly files: readonly string[];
  readonly patterns: ReadonlyMap<string, Pattern>;
  readonly streams: readonly Stream[];
  readonly start: readonly (readonly string[])[];
  readonly stop: readonly (readonly string[])[];
  /** As written: > 0 that many, 0 the number of CPUs, < 0 no limit. */
  readonly concurrency: number;
  readonly stateDirectory: string;
  /** In ms, or null for never. */
  readonly stateRotationInterval: number | null;
  /** How long triggers that ended stay in the history (`riposte why`), in ms; 0 keeps none. */
  readonly history: number;
  /** reaction's plugins declared, whose types riposte runs built in. */
  readonly plugins: readonly PluginDeclaration[];
  /** Where the Prometheus metrics are served; null: they are not. */
  readonly metrics: MetricsConfig | null;
  /** Sharing bans with other hosts; undefined when the configuration has no `cluster` key. */
  readonly cluster: Cluster | undefined;
}

export type Loaded =
  | { readonly ok: true; readonly config: Config; readonly warnings: readonly Warning[] }
  | {
      readonly ok: false;
      readonly errors: readonly ConfigError[];
      readonly warnings: readonly Warning[];
    };

export async function loadConfig(path: string): Promise<Loaded> {
  const loaded = await loadDocuments(path);
  if (!loaded.ok) return { ok: false, errors: loaded.errors, warnings: [] };
  const { merged, errors } = mergeDocuments(loaded.documents);
  const c = new Checker(merged.locate, merged.redact);
  c.errors.push(...errors);
  // When no file holds a map there is nothing to check: "missing streams" would only repeat it.
  if (!loaded.documents.some((d) => isPlainObject(d.value))) {
    return { ok: false, errors: c.errors, warnings: c.warnings };
  }
  const config = buildConfig(
    c,
    expandLibrary(c, merged.value),
    loaded.documents.map((d) => d.file),
  );
  if (config === undefined || c.errors.length > 0)
    return { ok: false, errors: c.errors, warnings: c.warnings };
  lintConfig(c, config);
  lintSources(c, config);
  // The lint refuses what would let a log line run code.
  if (c.errors.length > 0) return { ok: false, errors: c.errors, warnings: c.warnings };
  return { ok: true, config, warnings: c.warnings };
}

function buildConfig(
  c: Checker,
  raw: Record<string, unknown>,
  files: string[],
): Config | undefined {
  const map = c.map(raw, [], KEYS);
  if (map === undefined) return undefined;
  const plugins = readPlugins(c, map['plugins']);
  const patterns = buildPatterns(c, map['patterns']);
  const scope = scopeOf(patterns, map['patterns'], map['streams']);
  const streams = buildStreams(c, map['streams'], scope);
  const start = readCommands(c, ['start'], map['start']);
  const stop = readCommands(c, ['stop'], map['stop']);
  const concurrency =
    map['concurrency'] === undefined
      ? 0
      : c.integer(map['concurrency'], ['concurrency'], Number.MIN_SAFE_INTEGER);
  const stateDirectory =
    map['state_directory'] === undefined
      ? '.'
      : c.string(map['state_directory'], ['state_directory']);
  const stateRotationInterval = readRotation(c, map['state_rotation_interval']);
  const history =
    map['history'] === undefined ? DEFAULT_HISTORY : c.duration(map['history'], ['history']);
  const metrics = readMetrics(c, map['metrics']);
  const cluster = map['cluster'] === undefined ? undefined : buildCluster(c, map['cluster']);
  if (streams !== undefined) checkSetOptions(c, streams);
  if (streams !== undefined) checkCluster(c, streams, map['cluster'] !== undefined);
  if (
    streams === undefined ||
    start === undefined ||
    stop === undefined ||
    concurrency === undefined ||
    stateDirectory === undefined ||
    stateRotationInterval === undefined ||
    history === undefined ||
    metrics === undefined ||
    (map['cluster'] !== undefined && cluster === undefined)
  ) {
    return undefined;
  }
  return Object.freeze({
    files,
    patterns,
    streams,
    start,
    stop,
    concurrency,
    stateDirectory,
    stateRotationInterval,
    history,
    plugins,
    metrics,
    cluster: cluster === undefined ? undefined : withMaxAge(cluster, streams),
  });
}

function buildPatterns(c: Checker, raw: unknown): Map<string, Pattern> {
  const patterns = new Map<string, Pattern>();
  if (raw === undefined) return patterns;
  for (const [name, value] of c.entries(raw, ['patterns'], 'patterns') ?? []) {
    const pattern = buildPattern(c, ['patterns', name], name, value);
    if (pattern !== undefined) patterns.set(name, pattern);
  }
  return patterns;
}

function buildStreams(c: Checker, raw: unknown, scope: Scope): Stream[] | undefined {
  if (raw === undefined)
    return c.fail([], 'missing key "streams": a configuration needs at least one stream');
  const entries = c.names(raw, ['streams'], 'streams');
  if (entries === undefined) return undefined;
  if (entries.length === 0) return c.fail(['streams'], 'a configuration needs at least one stream');
  const streams = entries.map(([name, value]) =>
    buildStream(c, ['streams', name], name, value, scope),
  );
  return streams.every((s) => s !== undefined) ? streams : undefined;
}

function readCommands(c: Checker, path: Path, raw: unknown): string[][] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    return c.fail(
      path,
      `expected a list of commands, each a list of strings, got ${describe(raw)}`,
    );
  const commands = raw.map((cmd, i) => c.argv(cmd, [...path, i]));
  return commands.every((cmd) => cmd !== undefined) ? commands : undefined;
}

function readRotation(c: Checker, raw: unknown): number | null | undefined {
  if (raw === null) return null;
  if (raw === undefined) return 24 * 3_600_000;
  const ms = c.duration(raw, ['state_rotation_interval']);
  if (ms !== undefined && ms < MIN_ROTATION)
    return c.fail(['state_rotation_interval'], 'must be at least 30m (or null for never)');
  return ms;
}

/** Every action of one kernel set must agree on the set's options: they describe one set. */
function checkSetOptions(c: Checker, streams: readonly Stream[]): void {
  const first = new Map<string, { path: Path; options: string }>();
  for (const stream of streams) {
    for (const filter of stream.filters) {
      for (const action of filter.actions) {
        if (action.type !== 'ipset' && action.type !== 'nftables') continue;
        const path = [
          'streams',
          stream.name,
          'filters',
          filter.name,
          'actions',
          action.name,
          'options',
        ];
        const options = JSON.stringify([
          action.families,
          action.chains,
          action.target,
          action.ports,
          action.protocols,
        ]);
        const seen = first.get(`${action.type}:${action.set}`);
        if (seen === undefined) first.set(`${action.type}:${action.set}`, { path, options });
        else if (seen.options !== options) {
          c.fail(
            path,
            `the ${action.type} set "${action.set}" is also used by ${keyPath(seen.path)} with other version, chains, target, ports or protocol`,
          );
        }
      }
    }
  }
}

/** Cluster streams and actions need the `cluster` key; one cluster stream receives every line. */
function checkCluster(c: Checker, streams: readonly Stream[], configured: boolean): void {
  const receiving = streams.filter((s) => s.type === 'cluster');
  for (const extra of receiving.slice(1)) {
    c.fail(
      ['streams', extra.name, 'type'],
      `a configuration has one stream of type "cluster" at most ("${receiving[0]!.name}" is one): its filters tell the lines apart`,
    );
  }
  const sending = streams.some((s) =>
    s.filters.some((f) => f.actions.some((a) => a.type === 'cluster')),
  );
  if (configured) {
    if (receiving.length === 0 && !sending)
      c.warn(
        ['cluster'],
        'no stream or action of type "cluster" uses it: riposte will not connect',
      );
    return;
  }
  for (const s of receiving)
    c.fail(['streams', s.name, 'type'], 'a stream of type "cluster" needs the "cluster" key');
  for (const s of streams)
    for (const f of s.filters)
      for (const a of f.actions)
        if (a.type === 'cluster')
          c.fail(
            ['streams', s.name, 'filters', f.name, 'actions', a.name, 'type'],
            'an action of type "cluster" needs the "cluster" key',
          );
}

/** Fallback of `max_age`: long enough that a host back from downtime still sees every ban in effect. */
const MIN_MAX_AGE = 24 * 3_600_000;

/**
 * The engine keeps a message as long as the longest retry window plus the longest delay of
 * the cluster stream's filters, at least a day: a host back from downtime then still reads
 * every ban still in effect, and counts what a window still holds.
 */
function withMaxAge(cluster: Cluster, streams: readonly Stream[]): Cluster {
  if (cluster.nats.maxAge !== undefined) return cluster;
  let longest = MIN_MAX_AGE;
  for (const s of streams.filter((s) => s.type === 'cluster'))
    for (const f of s.filters)
      longest = Math.max(longest, f.retryperiod + Math.max(0, ...f.actions.map((a) => a.after)));
  return Object.freeze({ ...cluster, nats: { ...cluster.nats, maxAge: longest } });
}
