// What a scrape and systemd's status line report, read from each owner's own counters: the
// streams' status, the filters' stats and sizes, the action outcomes, the scheduler's and the
// executor's sizes, the kernel sets' members, the state file's size on disk. Owns nothing;
// receives the parts; sends a MetricsSnapshot, or a one-line summary.

import { statSync } from 'node:fs';
import type { ClusterStatus } from '../protocol.js';
import type { Executor } from './executor.js';
import type { MetricsSnapshot } from './metrics.js';
import type { ActionOutcomes } from './outcomes.js';
import type { Pipeline } from './pipeline.js';
import type { Scheduler } from './scheduler.js';
import type { KernelSets } from './sets.js';

export interface Parts {
  readonly version: string;
  readonly startTime: number;
  readonly pipeline: Pipeline;
  readonly scheduler: Scheduler;
  readonly executor: Executor;
  readonly sets: KernelSets;
  readonly outcomes: ActionOutcomes;
  readonly statePath: string;
  readonly reloads: MetricsSnapshot['reloads'];
  readonly cluster?: ClusterStatus | undefined;
}

export function snapshotOf(p: Parts): MetricsSnapshot {
  const filters = p.pipeline.filters.map((f) => f.filter);
  const cpu = process.cpuUsage();
  return {
    version: p.version,
    startTime: p.startTime,
    streams: p.pipeline.streams.map((s) => ({ name: s.stream.name, status: s.status })),
    filters: p.pipeline.filters.map((f) => ({
      stream: f.filter.stream,
      filter: f.filter.name,
      matches: f.stats.matches,
      triggers: f.stats.triggers,
      counting: f.size,
    })),
    actions: filters.flatMap((f) =>
      f.actions.map((a) => ({
        stream: f.stream,
        filter: f.name,
        action: a.name,
        type: a.type,
        counts: p.outcomes.of(`${f.stream}.${f.name}.${a.name}`),
      })),
    ),
    pending: p.scheduler.size,
    running: p.executor.running,
    waiting: p.executor.waiting,
    sets: p.sets.addresses(),
    stateBytes: fileBytes(p.statePath),
    reloads: p.reloads,
    delay: p.outcomes.delay,
    duration: p.outcomes.duration,
    process: { rss: process.memoryUsage.rss(), cpuSeconds: (cpu.user + cpu.system) / 1e6 },
    ...(p.cluster === undefined ? {} : { cluster: p.cluster }),
  };
}

/** systemd's STATUS= line: `2/2 streams running, 14 triggers, 9 pending actions, 9 addresses banned`. */
export function statusLine(p: Parts): string {
  const streams = p.pipeline.streams.filter((s) => s.stream.type !== 'virtual');
  const running = streams.filter((s) => s.status.state === 'running').length;
  const triggers = p.pipeline.filters.reduce((n, f) => n + f.stats.triggers, 0);
  const sets = p.sets.addresses();
  const banned = sets.reduce((n, s) => n + s.addresses, 0);
  const inSets = sets.length === 0 ? '' : `, ${banned} address(es) in kernel sets`;
  return `${running}/${streams.length} stream(s) running, ${triggers} trigger(s), ${p.scheduler.size} pending action(s)${inSets}`;
}

/** The state file and its write-ahead log, in bytes; undefined when they cannot be read. */
function fileBytes(path: string): number | undefined {
  try {
    const wal = statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    return statSync(path).size + wal;
  } catch {
    return undefined;
  }
}
