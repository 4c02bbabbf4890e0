// The Prometheus text exposition (format 0.0.4) of the daemon's counters. Owns nothing:
// receives a snapshot of what each part already counts (the streams' status, the filters'
// stats, the action outcomes, the scheduler's and executor's sizes, the kernel sets' members,
// the state file's size, ban sharing's status); sends the text a scrape gets. Labels hold
// only names from the configuration (stream, filter, action, set, type), never a log's value.

import type { Histogram } from '../lib/histogram.js';
import type { ClusterStatus } from '../protocol.js';
import type { ActionCounts } from './outcomes.js';
import type { StreamStatus } from './stream.js';

export interface MetricsSnapshot {
  readonly version: string;
  /** Ms since the epoch. */
  readonly startTime: number;
  readonly streams: readonly { readonly name: string; readonly status: StreamStatus }[];
  readonly filters: readonly {
    readonly stream: string;
    readonly filter: string;
    readonly matches: number;
    readonly triggers: number;
    /** Matches whose counts are kept (not yet at `retry`). */
    readonly counting: number;
  }[];
  readonly actions: readonly {
    readonly stream: string;
    readonly filter: string;
    readonly action: string;
    readonly type: string;
    readonly counts: Readonly<ActionCounts>;
  }[];
  readonly pending: number;
  /** Commands running, and waiting for a free slot. */
  readonly running: number;
  readonly waiting: number;
  readonly sets: readonly {
    readonly type: string;
    readonly set: string;
    readonly addresses: number;
  }[];
  /** Bytes of the state file and its write-ahead log; undefined if they cannot be read. */
  readonly stateBytes: number | undefined;
  readonly reloads: {
    readonly succeeded: number;
    readonly failed: number;
    readonly lastSucceeded: boolean;
    /** Ms since the epoch of the last configuration applied (start-up or reload). */
    readonly lastApplied: number;
  };
  readonly delay: ReadonlyMap<string, Histogram>;
  readonly duration: ReadonlyMap<string, Histogram>;
  readonly process: { readonly rss: number; readonly cpuSeconds: number };
  /** Ban sharing's counters, when the configuration shares bans. */
  readonly cluster?: ClusterStatus;
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const STATES: readonly StreamStatus['state'][] = [
  'starting',
  'running',
  'restarting',
  'finished',
  'stopped',
];

type Labels = Readonly<Record<string, string>>;

/** The text of one scrape. */
export function renderMetrics(s: MetricsSnapshot): string {
  const out = new Exposition();
  renderDaemon(out, s);
  renderStreams(out, s.streams);
  renderFilters(out, s.filters);
  renderActions(out, s);
  out.family('riposte_kernel_set_addresses', 'gauge', 'Addresses in each kernel set.');
  for (const set of s.sets) out.sample({ type: set.type, set: set.set }, set.addresses);
  out.histograms(
    'riposte_action_delay_seconds',
    'Time from the arrival of the line that made a trigger to the start of its immediate actions.',
    s.delay,
  );
  out.histograms(
    'riposte_action_duration_seconds',
    'Time from the start of an action to its end.',
    s.duration,
  );
  if (s.cluster !== undefined) renderCluster(out, s.cluster);
  return out.text();
}

const CLUSTER_STATES = ['connecting', 'connected', 'disconnected', 'refused', 'closed'];
const CLUSTER_COUNTERS = [
  ['shared', 'Lines this host shared.'],
  ['published', 'Shared lines the NATS server acknowledged.'],
  ['failed', 'Publishes that failed (retried from the outbox).'],
  ['expired', 'Shared lines dropped from the outbox after max_age.'],
  ['received', 'Lines received from other hosts.'],
  ['applied', 'Received lines given to the cluster stream.'],
  ['duplicates', 'Received lines already applied, not applied again.'],
  ['refused', 'Received messages refused (malformed, unknown sender, bad value).'],
] as const;

/** Ban sharing: its connection state, outbox, lag and counters. No label holds a peer's value. */
function renderCluster(out: Exposition, c: ClusterStatus): void {
  out.family('riposte_cluster_state', 'gauge', 'The connection to NATS: 1 for its current state.');
  for (const state of CLUSTER_STATES) out.sample({ state }, c.state === state ? 1 : 0);
  out.family('riposte_cluster_outbox', 'gauge', 'Shared lines the server has not acknowledged.');
  out.sample({}, c.outbox);
  out.family('riposte_cluster_lag_messages', 'gauge', 'Messages of the log not yet received.');
  out.sample({}, c.lag.messages);
  out.family('riposte_cluster_lag_seconds', 'gauge', 'How long the last received message waited.');
  out.sample({}, c.lag.ms / 1000);
  for (const [key, help] of CLUSTER_COUNTERS) {
    out.family(`riposte_cluster_${key}_total`, 'counter', help);
    out.sample({}, c[key]);
  }
}

function renderDaemon(out: Exposition, s: MetricsSnapshot): void {
  out.family('riposte_build_info', 'gauge', 'The version of riposte running.');
  out.sample({ version: s.version }, 1);
  out.family('process_start_time_seconds', 'gauge', 'Start time of the process since the epoch.');
  out.sample({}, s.startTime / 1000);
  out.family('process_resident_memory_bytes', 'gauge', 'Resident memory of the daemon.');
  out.sample({}, s.process.rss);
  out.family(
    'process_cpu_seconds_total',
    'counter',
    'CPU time used by the daemon (user and system).',
  );
  out.sample({}, s.process.cpuSeconds);
  out.family('riposte_config_reloads_total', 'counter', 'Reloads of the configuration, by result.');
  out.sample({ result: 'success' }, s.reloads.succeeded);
  out.sample({ result: 'failure' }, s.reloads.failed);
  out.family(
    'riposte_config_last_reload_successful',
    'gauge',
    'Whether the last reload applied its configuration (1 before any reload).',
  );
  out.sample({}, s.reloads.lastSucceeded ? 1 : 0);
  out.family(
    'riposte_config_last_applied_timestamp_seconds',
    'gauge',
    'When the configuration in use was applied, at start-up or by a reload.',
  );
  out.sample({}, s.reloads.lastApplied / 1000);
  out.family(
    'riposte_state_file_bytes',
    'gauge',
    'Size of the state file and its write-ahead log.',
  );
  if (s.stateBytes !== undefined) out.sample({}, s.stateBytes);
  out.family('riposte_pending_actions', 'gauge', 'Delayed actions waiting for their time.');
  out.sample({}, s.pending);
  out.family('riposte_actions_running', 'gauge', 'Action commands running.');
  out.sample({}, s.running);
  out.family(
    'riposte_actions_waiting',
    'gauge',
    'Action commands waiting for a free slot (concurrency).',
  );
  out.sample({}, s.waiting);
}

function renderStreams(out: Exposition, streams: MetricsSnapshot['streams']): void {
  const each = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    value: (st: StreamStatus) => number,
  ) => {
    out.family(name, type, help);
    for (const { name: stream, status } of streams) out.sample({ stream }, value(status));
  };
  each(
    'riposte_stream_lines_total',
    'counter',
    'Lines read from the stream since the metrics are served.',
    (st) => st.lines,
  );
  each(
    'riposte_stream_read_bytes_total',
    'counter',
    'Bytes read from the stream.',
    (st) => st.bytesRead,
  );
  each(
    'riposte_stream_cut_lines_total',
    'counter',
    'Lines longer than the limit, cut there.',
    (st) => st.cut,
  );
  each(
    'riposte_stream_dropped_characters_total',
    'counter',
    'Characters dropped from the lines that were cut.',
    (st) => st.dropped,
  );
  each(
    'riposte_stream_restarts_total',
    'counter',
    'Restarts of the stream command after it died.',
    (st) => st.restarts,
  );
  out.family('riposte_stream_state', 'gauge', 'The state of each stream: 1 for its current state.');
  for (const { name: stream, status } of streams) {
    for (const state of STATES) out.sample({ stream, state }, status.state === state ? 1 : 0);
  }
}

function renderFilters(out: Exposition, filters: MetricsSnapshot['filters']): void {
  const each = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    value: (f: MetricsSnapshot['filters'][number]) => number,
  ) => {
    out.family(name, type, help);
    for (const f of filters) out.sample({ stream: f.stream, filter: f.filter }, value(f));
  };
  each(
    'riposte_filter_matches_total',
    'counter',
    'Lines in which the filter found a match.',
    (f) => f.matches,
  );
  each('riposte_filter_triggers_total', 'counter', 'Triggers of the filter.', (f) => f.triggers);
  each(
    'riposte_filter_counting_matches',
    'gauge',
    'Matches whose recent times are kept, short of a trigger.',
    (f) => f.counting,
  );
}

function renderActions(out: Exposition, s: MetricsSnapshot): void {
  const each = (name: string, help: string, value: (c: Readonly<ActionCounts>) => number) => {
    out.family(name, 'counter', help);
    for (const a of s.actions) {
      out.sample(
        { stream: a.stream, filter: a.filter, action: a.action, type: a.type },
        value(a.counts),
      );
    }
  };
  each('riposte_action_runs_total', 'Actions started, of every type.', (c) => c.started);
  each(
    'riposte_action_failures_total',
    'Actions that failed: non-zero exit, signal, missing program, refused by the kernel.',
    (c) => c.failed,
  );
  each(
    'riposte_action_timeouts_total',
    'Action commands killed after running longer than the action timeout.',
    (c) => c.timedOut,
  );
}

/** Families and their samples, in the order written. */
class Exposition {
  readonly #lines: string[] = [];
  #name = '';

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.#name = name;
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  }

  sample(labels: Labels, value: number, suffix = ''): void {
    this.#lines.push(`${this.#name}${suffix}${labelText(labels)} ${numberText(value)}`);
  }

  histograms(name: string, help: string, byType: ReadonlyMap<string, Histogram>): void {
    this.family(name, 'histogram', help);
    for (const [type, h] of byType) {
      const counts = h.cumulative();
      h.bounds.forEach((bound, i) => {
        this.sample({ type, le: numberText(bound) }, counts[i]!, '_bucket');
      });
      this.sample({ type, le: '+Inf' }, h.count, '_bucket');
      this.sample({ type }, h.sum, '_sum');
      this.sample({ type }, h.count, '_count');
    }
  }

  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}
