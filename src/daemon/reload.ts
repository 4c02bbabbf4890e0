// What a reload changes: compares the configuration running with the one read again and
// says, part by part, what is kept, changed, started and stopped. Owns nothing; receives the
// two configurations; sends the plan the daemon applies, the one-line changes it reports,
// and the reasons a configuration cannot be applied without a restart.
//
// Identities: a stream by its name, a filter by its `STREAM.FILTER` id, an action by its
// name in its filter, a pattern by its name. Definitions are compared in their normalised
// form (what `test-config` prints), so that a default written out is no change.

import { resolve } from 'node:path';
import type { Action } from '../concepts/action.js';
import { clusterUse } from '../concepts/cluster.js';
import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import { normalAction, normalFilter, normalPattern, normalStream } from '../concepts/normalise.js';
import type { Stream } from '../concepts/stream.js';
import { formatDuration } from '../lib/duration.js';
import { which } from '../lib/which.js';

export interface ReloadPlan {
  /** Why the configuration cannot be applied without a restart; empty when it can. */
  readonly errors: readonly string[];
  /** Streams whose source is the same: they keep running, with their new filters. */
  readonly keptStreams: readonly { readonly from: Stream; readonly to: Stream }[];
  /** Streams to start: new ones, and those whose source changed. */
  readonly startStreams: readonly Stream[];
  /** Streams to stop: removed ones, and those whose source changed. */
  readonly stopStreams: readonly Stream[];
  /** Filters of the same id in both: their counts and pending actions follow the new one. */
  readonly keptFilters: ReadonlyMap<Filter, Filter>;
  readonly removedFilters: readonly Filter[];
  /** What changed, one line each, for the log and the `reload` caller. */
  readonly changes: readonly string[];
}

export function planReload(current: Config, next: Config): ReloadPlan {
  const changes: string[] = [];
  const streams = planStreams(current.streams, next.streams, changes);
  const filters = planFilters(current, next, changes);
  changes.push(...topLevelChanges(current, next));
  return { errors: refusals(current, next, streams.startStreams), ...streams, ...filters, changes };
}

/**
 * What cannot be done without a restart (another state directory, ban sharing changed), or would fail once the
 * configuration is swapped (a stream command not found): refused before anything changes.
 */
function refusals(current: Config, next: Config, starting: readonly Stream[]): string[] {
  const errors: string[] = [];
  const from = resolve(current.stateDirectory);
  const to = resolve(next.stateDirectory);
  if (from !== to) {
    errors.push(
      `state_directory cannot change while riposte runs (${from} → ${to}): restart riposte to use the new one, after moving riposte.db there to keep the state`,
    );
  }
  if (clusterUse(current) !== clusterUse(next))
    errors.push(
      'cluster: ban sharing (the cluster key, a stream or an action of type cluster) cannot start, stop or change while riposte runs: restart riposte to use the new settings',
    );
  for (const s of starting) {
    const program = s.cmd[0];
    if (s.type === 'cmd' && program !== undefined && which(program) === undefined)
      errors.push(
        `streams.${s.name}.cmd: cannot start ${JSON.stringify(s.cmd)}: program not found (check PATH)`,
      );
  }
  return errors;
}

function planStreams(
  current: readonly Stream[],
  next: readonly Stream[],
  changes: string[],
): Pick<ReloadPlan, 'keptStreams' | 'startStreams' | 'stopStreams'> {
  const before = new Map(current.map((s) => [s.name, s]));
  const keptStreams: { from: Stream; to: Stream }[] = [];
  const startStreams: Stream[] = [];
  const stopStreams: Stream[] = [];
  for (const to of next) {
    const from = before.get(to.name);
    if (from === undefined) {
      startStreams.push(to);
      changes.push(`stream ${to.name} added: started`);
    } else if (same(source(from), source(to))) {
      keptStreams.push({ from, to });
    } else {
      stopStreams.push(from);
      startStreams.push(to);
      changes.push(
        `stream ${to.name} changed: ${to.source === undefined ? 'its command is started again' : 'it is read again from where it was'}`,
      );
    }
  }
  const names = new Set(next.map((s) => s.name));
  for (const from of current) {
    if (names.has(from.name)) continue;
    stopStreams.push(from);
    changes.push(`stream ${from.name} removed: stopped`);
  }
  return { keptStreams, startStreams, stopStreams };
}

function planFilters(
  current: Config,
  next: Config,
  changes: string[],
): Pick<ReloadPlan, 'keptFilters' | 'removedFilters'> {
  const before = new Map(current.streams.flatMap((s) => s.filters).map((f) => [idOf(f), f]));
  const keptFilters = new Map<Filter, Filter>();
  for (const to of next.streams.flatMap((s) => s.filters)) {
    const from = before.get(idOf(to));
    before.delete(idOf(to));
    if (from === undefined) {
      changes.push(`filter ${idOf(to)} added`);
      continue;
    }
    keptFilters.set(from, to);
    const what = filterChanges(from, to);
    if (what.length > 0) changes.push(`filter ${idOf(to)} changed: ${what.join(', ')}`);
    changes.push(...actionChanges(from, to));
  }
  const removedFilters = [...before.values()];
  for (const f of removedFilters)
    changes.push(`filter ${idOf(f)} removed: its counts and pending actions are dropped`);
  return { keptFilters, removedFilters };
}

/** The keys of a filter's counting that changed (its actions are compared one by one). */
function filterChanges(from: Filter, to: Filter): string[] {
  const a = countingOf(from);
  const b = countingOf(to);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  return [...keys]
    .filter((k) => !same(a[k], b[k]))
    .map((k) => (scalar(a[k]) && scalar(b[k]) ? `${k} ${a[k]} → ${b[k]}` : k));
}

function actionChanges(from: Filter, to: Filter): string[] {
  const id = idOf(to);
  const before = new Map(from.actions.map((a) => [a.name, a]));
  const lines: string[] = [];
  for (const a of to.actions) {
    const old = before.get(a.name);
    before.delete(a.name);
    if (old === undefined) lines.push(`action ${id}.${a.name} added: for triggers from now on`);
    else if (!sameAction(old, a))
      lines.push(`action ${id}.${a.name} changed: pending ones run the new definition`);
  }
  for (const name of before.keys())
    lines.push(`action ${id}.${name} removed: its pending runs are dropped`);
  return lines;
}

function topLevelChanges(current: Config, next: Config): string[] {
  const lines: string[] = [];
  const patterns = new Set([...current.patterns.keys(), ...next.patterns.keys()]);
  for (const name of patterns) {
    const a = current.patterns.get(name);
    const b = next.patterns.get(name);
    if (a === undefined) lines.push(`pattern ${name} added`);
    else if (b === undefined) lines.push(`pattern ${name} removed`);
    else if (!same(normalPattern(a), normalPattern(b))) lines.push(`pattern ${name} changed`);
  }
  if (current.concurrency !== next.concurrency)
    lines.push(`concurrency: ${current.concurrency} → ${next.concurrency}`);
  if (current.stateRotationInterval !== next.stateRotationInterval) {
    const show = (ms: number | null) => (ms === null ? 'null' : formatDuration(ms));
    lines.push(
      `state_rotation_interval: ${show(current.stateRotationInterval)} → ${show(next.stateRotationInterval)}`,
    );
  }
  for (const key of ['start', 'stop'] as const) {
    if (!same(current[key], next[key]))
      lines.push(`${key} commands changed: they run at the next ${key}, not now`);
  }
  return lines;
}

/** Whether two definitions of an action are the same. */
export function sameAction(a: Action, b: Action): boolean {
  return same(normalAction(a), normalAction(b));
}

/** Whether a filter's patterns are the same, in the same order, with the same definitions. */
export function samePatterns(a: Filter, b: Filter): boolean {
  return same(a.patterns.map(namedPattern), b.patterns.map(namedPattern));
}

/** What a stream reads, without its filters. */
function source(s: Stream): Record<string, unknown> {
  const { filters: _, ...rest } = normalStream(s);
  return rest;
}

/** What a filter counts and how, without its actions, with the definitions of its patterns. */
function countingOf(f: Filter): Record<string, unknown> {
  const { actions: _, ...rest } = normalFilter(f);
  return { ...rest, patterns: f.patterns.map(namedPattern) };
}

function namedPattern(p: Filter['patterns'][number]): Record<string, unknown> {
  return { name: p.name, ...normalPattern(p) };
}

function idOf(f: Filter): string {
  return `${f.stream}.${f.name}`;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
