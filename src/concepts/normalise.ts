// The configuration as riposte understood it, in plain data with every default written:
// what `test-config` prints (itself a valid configuration), and what a reload compares to
// tell which streams, filters, actions and patterns changed. Receives a built Config or one
// of its parts; sends plain, JSON-ready values.

import { formatDuration } from '../lib/duration.js';
import type { Action } from './action.js';
import { normalCluster } from './cluster.js';
import type { Config } from './config.js';
import type { Filter } from './filter.js';
import type { Pattern } from './pattern.js';
import type { Stream } from './stream.js';
import type { ReadSource } from './stream-source.js';

/** The configuration as riposte understood it, every default written: itself a valid config. */
export function normalised(config: Config): Record<string, unknown> {
  return {
    patterns: Object.fromEntries([...config.patterns].map(([name, p]) => [name, normalPattern(p)])),
    streams: Object.fromEntries(config.streams.map((s) => [s.name, normalStream(s)])),
    start: config.start,
    stop: config.stop,
    concurrency: config.concurrency,
    state_directory: config.stateDirectory,
    state_rotation_interval:
      config.stateRotationInterval === null ? null : formatDuration(config.stateRotationInterval),
    history: formatDuration(config.history),
    ...(config.plugins.length === 0
      ? {}
      : { plugins: Object.fromEntries(config.plugins.map((p) => [p.name, p.options])) }),
    ...(config.metrics === null
      ? {}
      : { metrics: { listen: config.metrics.text, allow_remote: config.metrics.allowRemote } }),
    ...(config.cluster === undefined ? {} : { cluster: normalCluster(config.cluster) }),
  };
}

/** A stream: its source (type, command, options) and its filters. */
export function normalStream(s: Stream): Record<string, unknown> {
  return {
    type: s.type,
    ...(s.type === 'cmd' ? { cmd: s.cmd } : {}),
    ...(s.source === undefined ? {} : { options: normalSource(s.source, s.catchUp) }),
    filters: Object.fromEntries(s.filters.map((f) => [f.name, normalFilter(f)])),
  };
}

function normalSource(source: ReadSource, catchUp: number): Record<string, unknown> {
  const bound = { catch_up: formatDuration(catchUp) };
  if (source.type === 'file') return { paths: source.paths, ...bound };
  return {
    units: source.units,
    identifiers: source.identifiers,
    matches: source.matches,
    ...(source.directory === undefined ? {} : { directory: source.directory }),
    files: source.files,
    with_identifier: source.withIdentifier,
    ...bound,
  };
}

export function normalPattern(p: Pattern): Record<string, unknown> {
  return {
    type: p.type,
    ...(p.type === 'regex' ? { regex: p.regex } : {}),
    ignore: p.ignore,
    ignoreregex: p.ignoreregex,
    ...(p.type === 'regex' ? {} : { ignorecidr: p.ignorecidr }),
    ...(p.ipv4mask === undefined ? {} : { ipv4mask: p.ipv4mask }),
    ...(p.ipv6mask === undefined ? {} : { ipv6mask: p.ipv6mask }),
  };
}

export function normalFilter(f: Filter): Record<string, unknown> {
  const matching =
    f.struct === undefined
      ? { regex: f.regexes.map((r) => r.source) }
      : { options: f.struct.options };
  return {
    type: f.type,
    ...matching,
    retry: f.retry,
    ...(f.retry > 1 ? { retryperiod: formatDuration(f.retryperiod) } : {}),
    duplicates: f.duplicates,
    ...(f.time === undefined ? {} : { time: f.time }),
    actions: Object.fromEntries(f.actions.map((a) => [a.name, normalAction(a)])),
  };
}

export function normalAction(a: Action): Record<string, unknown> {
  const common = {
    ...(a.delayed ? { after: formatDuration(a.after), onexit: a.onexit } : { oneshot: a.oneshot }),
    ...(a.family === 'ipv4' ? { ipv4only: true } : {}),
    ...(a.family === 'ipv6' ? { ipv6only: true } : {}),
  };
  switch (a.type) {
    case 'cmd':
      return { type: 'cmd', cmd: a.cmd, ...common };
    case 'virtual':
      return { type: 'virtual', options: { send: a.sendText, to: a.to }, ...common };
    case 'cluster':
      return { type: 'cluster', options: { send: a.sendText }, ...common };
    case 'ipset':
    case 'nftables':
      return { type: a.type, options: a.options, ...common };
  }
}
