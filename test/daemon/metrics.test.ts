// Black-box tests of the metrics endpoint of the real daemon: scraped over HTTP (TCP and a
// unix socket), checked by Prometheus' own parser (`promtool check metrics`), and holding
// the numbers of lines, matches, triggers and actions the test made; a reload that moves it;
// a socket path another user could swap refused.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { missing } from '../tools.js';
import { type Config, type Daemon, type Sandbox, sandbox } from './harness.js';

const skip = missing(['promtool'], 'Debian package prometheus');

function config(sb: Sandbox, listen: string): Config {
  return sb.fifoConfig(
    {
      f: {
        regex: ['fail <ip>'],
        retry: 2,
        retryperiod: '1h',
        actions: {
          ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
          broken: { cmd: sb.cmd('fail', 'failed.log', '<ip>') },
          unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
        },
      },
    },
    { metrics: { listen } },
  );
}

/** GET /metrics at an http:// URL or on a unix socket path: status, content type, body. */
function scrape(where: string): Promise<{ status: number; type: string; body: string }> {
  const options = where.startsWith('/') ? { socketPath: where, path: '/metrics' } : new URL(where);
  return new Promise((resolve, reject) => {
    get(options, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (t: string) => {
        body += t;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'] ?? '',
          body,
        }),
      );
    }).on('error', reject);
  });
}

/** The URL of the start line: "metrics http://127.0.0.1:PORT/metrics". */
async function urlOf(daemon: Daemon): Promise<string> {
  const line = await daemon.waitLog(/INFO {2}riposte \S+ started: /);
  const url = / metrics (http:\/\/\S+)$/.exec(line)?.[1];
  assert.ok(url, line);
  return url;
}

/** The value of one sample: `name{labels} value`. */
function value(body: string, sample: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

function promtool(body: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
  return r.status === 0
    ? `${r.stdout}${r.stderr}`.trim()
    : `exit ${r.status}: ${r.stdout}${r.stderr}`;
}

test('the metrics endpoint serves what promtool accepts, with the lines, matches, triggers and actions made', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, '127.0.0.1:0'));
  const url = await urlOf(daemon);
  // 10 addresses fail twice (10 triggers, each running ban, broken and later unban), 5 once,
  // and 7 lines match nothing: 32 lines, then the marker's.
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) lines.push(`fail 10.0.0.${i}`, `fail 10.0.0.${i}`);
  for (let i = 0; i < 5; i++) lines.push(`fail 10.0.1.${i}`);
  for (let i = 0; i < 7; i++) lines.push(`noise ${i}`);
  input.write(...lines);
  await sb.mark(input, daemon);
  await daemon.waitFile('failed.log', 10);
  await sb.settle(daemon);
  const r = await scrape(url);
  assert.equal(r.status, 200);
  assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(promtool(r.body), '');
  const expected: Record<string, number> = {
    'riposte_stream_lines_total{stream="s"}': 33,
    'riposte_filter_matches_total{stream="s",filter="f"}': 25,
    'riposte_filter_triggers_total{stream="s",filter="f"}': 10,
    'riposte_filter_counting_matches{stream="s",filter="f"}': 5,
    'riposte_filter_triggers_total{stream="s",filter="marker"}': 1,
    'riposte_action_runs_total{stream="s",filter="f",action="ban",type="cmd"}': 10,
    'riposte_action_runs_total{stream="s",filter="f",action="broken",type="cmd"}': 10,
    'riposte_action_failures_total{stream="s",filter="f",action="broken",type="cmd"}': 10,
    'riposte_action_failures_total{stream="s",filter="f",action="ban",type="cmd"}': 0,
    'riposte_action_runs_total{stream="s",filter="f",action="unban",type="cmd"}': 0,
    riposte_pending_actions: 10,
    'riposte_action_delay_seconds_count{type="cmd"}': 21,
    'riposte_action_duration_seconds_count{type="cmd"}': 21,
    'riposte_stream_state{stream="s",state="running"}': 1,
  };
  const got = Object.fromEntries(Object.keys(expected).map((k) => [k, value(r.body, k)]));
  assert.deepEqual(got, expected);
  const bytes = value(r.body, 'riposte_stream_read_bytes_total{stream="s"}');
  assert.equal(bytes, Buffer.byteLength(`${lines.join('\n')}\nmarker 1\n`));
  assert.ok((value(r.body, 'riposte_state_file_bytes') ?? 0) > 0);
  // No label holds an address or a log line.
  assert.doesNotMatch(r.body, /10\.0\.|noise/);
});

test('the metrics endpoint answers 404 elsewhere than /metrics, and 405 to a POST', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(config(sb, '127.0.0.1:0'));
  const url = await urlOf(daemon);
  assert.equal((await scrape(url.replace('/metrics', '/'))).status, 404);
  const posted = await fetch(url, { method: 'POST' });
  assert.equal(posted.status, 405);
});

test('the metrics are served on a unix socket, and a reload moves them to another address', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const socket = sb.path('metrics.sock');
  const daemon = await sb.started(config(sb, socket));
  input.write('fail 10.9.9.9');
  await sb.mark(input, daemon);
  const first = await scrape(socket);
  assert.equal(first.status, 200);
  assert.equal(promtool(first.body), '');
  assert.equal(value(first.body, 'riposte_filter_matches_total{stream="s",filter="f"}'), 1);
  sb.writeConfig(config(sb, '127.0.0.1:0'));
  const r = await sb.cli('reload');
  assert.equal(r.code, 0, r.stderr);
  const url = /\n {2}metrics: served on (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/.exec(r.stdout)?.[1];
  assert.ok(url, r.stdout);
  await assert.rejects(scrape(socket));
  // The counters go on across the reload; the reload is counted.
  const moved = await scrape(url);
  assert.equal(promtool(moved.body), '');
  assert.equal(value(moved.body, 'riposte_filter_matches_total{stream="s",filter="f"}'), 1);
  assert.equal(value(moved.body, 'riposte_config_reloads_total{result="success"}'), 1);
  assert.equal(value(moved.body, 'riposte_config_last_reload_successful'), 1);
});

test('a metrics socket in a directory other users may write to is refused at start', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const open = sb.path('open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const socket = join(open, 'metrics.sock');
  const daemon = sb.start(config(sb, socket));
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.match(
    daemon.log,
    /metrics: cannot listen on .*: its directory .*\/open is writable by other users \(mode 0777\), who could replace the socket/,
  );
  assert.equal(existsSync(socket), false);
});

test('the metrics show ban sharing: no server reached, the shared line waits in the outbox', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(
    sb.fifoConfig(
      {
        f: {
          regex: ['fail <ip>'],
          actions: { share: { type: 'cluster', options: { send: 'ban <ip>' } } },
        },
      },
      {
        metrics: { listen: '127.0.0.1:0' },
        // Port 9 (discard): nothing listens there, so the daemon never connects.
        cluster: { node: 'web1', nats: { servers: ['nats://127.0.0.1:9'] } },
      },
    ),
  );
  const url = await urlOf(daemon);
  input.write('fail 192.0.2.7');
  await sb.mark(input, daemon);
  await sb.settle(daemon);
  const r = await scrape(url);
  assert.equal(promtool(r.body), '');
  const samples = [
    'riposte_cluster_shared_total',
    'riposte_cluster_outbox',
    'riposte_cluster_published_total',
    'riposte_cluster_state{state="connected"}',
  ];
  assert.deepEqual(
    samples.map((s) => value(r.body, s)),
    [1, 1, 0, 0],
    r.body,
  );
  assert.doesNotMatch(r.body, /192\.0\.2\./);
});
