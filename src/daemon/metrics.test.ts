// renderMetrics() through Prometheus' own parser (`promtool check metrics`, Debian's
// `prometheus` package): the text it makes is valid exposition format and passes promtool's
// lint, names with quotes and backslashes are escaped, and the values are those given.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ACTION_TYPES } from '../concepts/action.js';
import { Histogram } from '../lib/histogram.js';
import { type MetricsSnapshot, renderMetrics } from './metrics.js';
import type { StreamStatus } from './stream.js';

const PROMTOOL = spawnSync('promtool', ['--version']).error === undefined;
// .ci/run installs it: under CI=true its absence fails rather than skip unseen.
if (!PROMTOOL && process.env['CI'] === 'true') throw new Error('promtool is not installed');
const skip = PROMTOOL ? false : 'promtool is not installed (Debian package prometheus)';

function status(over: Partial<StreamStatus> = {}): StreamStatus {
  return {
    state: 'running',
    pid: 1234,
    restarts: 2,
    lastExit: undefined,
    bytes: 1000,
    bytesRead: 1003,
    lines: 42,
    cut: 1,
    dropped: 17,
    lastLine: undefined,
    lastStderr: undefined,
    caughtUp: 0,
    ...over,
  };
}

function snapshot(): MetricsSnapshot {
  const delay = new Map(ACTION_TYPES.map((t) => [t, new Histogram([0.01, 0.1, 1])] as const));
  const duration = new Map(ACTION_TYPES.map((t) => [t, new Histogram([0.01, 0.1, 1])] as const));
  delay.get('cmd')!.observe(0.005);
  delay.get('cmd')!.observe(0.05);
  delay.get('cmd')!.observe(5);
  duration.get('nftables')!.observe(0.02);
  return {
    version: '0.1.0',
    startTime: 1_700_000_000_500,
    streams: [
      { name: 'ssh', status: status() },
      { name: 'we"ird\\name', status: status({ state: 'restarting', lines: 0 }) },
    ],
    filters: [{ stream: 'ssh', filter: 'failedlogin', matches: 30, triggers: 10, counting: 3 }],
    actions: [
      {
        stream: 'ssh',
        filter: 'failedlogin',
        action: 'ban',
        type: 'nftables',
        counts: { started: 10, failed: 1, timedOut: 0 },
      },
      {
        stream: 'ssh',
        filter: 'failedlogin',
        action: 'mail',
        type: 'cmd',
        counts: { started: 10, failed: 0, timedOut: 2 },
      },
    ],
    pending: 9,
    running: 1,
    waiting: 0,
    sets: [{ type: 'nftables', set: 'bansv4', addresses: 9 }],
    stateBytes: 65536,
    reloads: { succeeded: 3, failed: 1, lastSucceeded: false, lastApplied: 1_700_000_100_000 },
    delay,
    duration,
    process: { rss: 50_000_000, cpuSeconds: 1.25 },
  };
}

test('renderMetrics() gives text that promtool check metrics accepts without a remark', {
  skip,
}, () => {
  const text = renderMetrics(snapshot());
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}\n${text}`);
  assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '');
});

test('renderMetrics() gives each counter and gauge its value, with labels from the configuration only', () => {
  const lines = renderMetrics(snapshot()).split('\n');
  for (const expected of [
    'riposte_stream_lines_total{stream="ssh"} 42',
    'riposte_stream_read_bytes_total{stream="ssh"} 1003',
    'riposte_stream_cut_lines_total{stream="ssh"} 1',
    'riposte_stream_dropped_characters_total{stream="ssh"} 17',
    'riposte_stream_restarts_total{stream="ssh"} 2',
    'riposte_stream_state{stream="ssh",state="running"} 1',
    'riposte_stream_state{stream="ssh",state="restarting"} 0',
    'riposte_stream_state{stream="we\\"ird\\\\name",state="restarting"} 1',
    'riposte_filter_matches_total{stream="ssh",filter="failedlogin"} 30',
    'riposte_filter_triggers_total{stream="ssh",filter="failedlogin"} 10',
    'riposte_filter_counting_matches{stream="ssh",filter="failedlogin"} 3',
    'riposte_action_runs_total{stream="ssh",filter="failedlogin",action="ban",type="nftables"} 10',
    'riposte_action_failures_total{stream="ssh",filter="failedlogin",action="ban",type="nftables"} 1',
    'riposte_action_timeouts_total{stream="ssh",filter="failedlogin",action="mail",type="cmd"} 2',
    'riposte_kernel_set_addresses{type="nftables",set="bansv4"} 9',
    'riposte_pending_actions 9',
    'riposte_actions_running 1',
    'riposte_state_file_bytes 65536',
    'riposte_config_reloads_total{result="success"} 3',
    'riposte_config_reloads_total{result="failure"} 1',
    'riposte_config_last_reload_successful 0',
    'riposte_config_last_applied_timestamp_seconds 1700000100',
    'process_start_time_seconds 1700000000.5',
    'riposte_build_info{version="0.1.0"} 1',
  ]) {
    assert.ok(lines.includes(expected), `missing: ${expected}`);
  }
});

test('renderMetrics() writes histograms with cumulative buckets, +Inf, sum and count', () => {
  const lines = renderMetrics(snapshot()).split('\n');
  const cmd = lines.filter(
    (l) => l.startsWith('riposte_action_delay_seconds') && l.includes('type="cmd"'),
  );
  assert.deepEqual(cmd, [
    'riposte_action_delay_seconds_bucket{type="cmd",le="0.01"} 1',
    'riposte_action_delay_seconds_bucket{type="cmd",le="0.1"} 2',
    'riposte_action_delay_seconds_bucket{type="cmd",le="1"} 2',
    'riposte_action_delay_seconds_bucket{type="cmd",le="+Inf"} 3',
    'riposte_action_delay_seconds_sum{type="cmd"} 5.055',
    'riposte_action_delay_seconds_count{type="cmd"} 3',
  ]);
});

test('renderMetrics() leaves out the state file size when it cannot be read, and stays valid', {
  skip,
}, () => {
  const text = renderMetrics({ ...snapshot(), stateBytes: undefined });
  assert.ok(!/^riposte_state_file_bytes /m.test(text));
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
});

test('renderMetrics() shows ban sharing: its state, outbox, lag and counters, valid for promtool', {
  skip,
}, () => {
  const cluster = {
    node: 'web1',
    state: 'disconnected',
    since: 0,
    outbox: 3,
    shared: 10,
    published: 7,
    failed: 2,
    expired: 1,
    received: 40,
    applied: 38,
    duplicates: 1,
    refused: 1,
    lag: { messages: 5, ms: 1500 },
  };
  const text = renderMetrics({ ...snapshot(), cluster });
  const samples = text.split('\n').filter((l) => l.startsWith('riposte_cluster_'));
  assert.deepEqual(samples, [
    'riposte_cluster_state{state="connecting"} 0',
    'riposte_cluster_state{state="connected"} 0',
    'riposte_cluster_state{state="disconnected"} 1',
    'riposte_cluster_state{state="refused"} 0',
    'riposte_cluster_state{state="closed"} 0',
    'riposte_cluster_outbox 3',
    'riposte_cluster_lag_messages 5',
    'riposte_cluster_lag_seconds 1.5',
    'riposte_cluster_shared_total 10',
    'riposte_cluster_published_total 7',
    'riposte_cluster_failed_total 2',
    'riposte_cluster_expired_total 1',
    'riposte_cluster_received_total 40',
    'riposte_cluster_applied_total 38',
    'riposte_cluster_duplicates_total 1',
    'riposte_cluster_refused_total 1',
  ]);
  assert.ok(!renderMetrics(snapshot()).includes('riposte_cluster_'));
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stderr);
  assert.equal(checked.stdout + checked.stderr, '');
});
