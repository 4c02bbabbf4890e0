// The cluster benchmark (bench/cluster.ts) in its quick form, as CI runs it from a clean
// checkout: 200 bans shared across 5 loopback daemons and a nats-server, each received by
// the 4 others, and 1,000 bans missed by a daemon that was down, then applied at its start.
// The test checks that every ban arrived and every missed one was applied; the latencies
// are printed, never judged here (the machine's speed is the benchmark's to report).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cluster } from '../../bench/cluster.js';
import { makeContext } from '../../bench/context.js';
import { haveNats } from './nats.js';

// .ci/run installs nats-server: under CI its absence fails instead of skipping.
const skip = haveNats() || process.env['CI'] === 'true' ? false : 'nats-server is not installed';

test('the cluster benchmark, quick: every shared ban reaches the 4 other daemons, every missed one is applied', {
  skip,
}, async (t) => {
  const rows = await cluster(makeContext(true));
  const by = (metric: string) => rows.find((r) => r.metric.includes(metric));
  const p50 = by('share → applied, p50');
  const p99 = by('share → applied, p99');
  const missed = by('missed bans');
  assert.ok(p50 !== undefined && p99 !== undefined && missed !== undefined, JSON.stringify(rows));
  assert.match(p50.note ?? '', /; 800 of 800 receptions measured$/);
  assert.match(missed.note ?? '', /; 1,000 applied; /);
  t.diagnostic(
    `share → applied: p50 ${p50.value.median} ms, p99 ${p99.value.median} ms, max ${p99.value.max} ms; ${missed.value.median} s to apply 1,000 missed bans`,
  );
});
