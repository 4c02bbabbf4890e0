// planReload() on pairs of real configurations (through loadConfig): which streams are kept,
// restarted, started and stopped, which filters are kept or removed, the one-line changes it
// reports, and what it refuses (another state directory, a stream command not in PATH, ban
// sharing started, stopped or changed).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Config, loadConfig } from '../concepts/config.js';
import { planReload } from './reload.js';

const dir = mkdtempSync(join(tmpdir(), 'riposte-reload-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function config(text: string): Promise<Config> {
  const file = join(dir, `c${++files}.yml`);
  writeFileSync(file, text);
  const loaded = await loadConfig(file);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.config;
}

const BASE = `
patterns:
  ip: {type: ip}
  user: {regex: '\\w+'}
state_directory: /var/lib/riposte
streams:
  ssh:
    cmd: [tail, -F, /var/log/auth.log]
    filters:
      failed:
        regex: ['fail <ip>']
        retry: 3
        retryperiod: 1h
        actions:
          ban: {cmd: [echo, ban, <ip>]}
          unban: {cmd: [echo, unban, <ip>], after: 1h}
      invalid:
        regex: ['invalid <ip>']
        actions:
          ban: {cmd: [echo, ban, <ip>]}
  web:
    cmd: [tail, -F, /var/log/nginx.log]
    filters:
      bad:
        regex: ['bad <ip>']
        actions:
          ban: {cmd: [echo, ban, <ip>]}
`;

const ids = (filters: Iterable<{ stream: string; name: string }>) =>
  [...filters].map((f) => `${f.stream}.${f.name}`);

test('planReload() of the same configuration keeps everything and reports no change', async () => {
  const a = await config(BASE);
  const plan = planReload(a, await config(BASE));
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(
    plan.keptStreams.map((k) => k.to.name),
    ['ssh', 'web'],
  );
  assert.deepEqual(plan.startStreams, []);
  assert.deepEqual(plan.stopStreams, []);
  assert.deepEqual(ids(plan.keptFilters.values()), ['ssh.failed', 'ssh.invalid', 'web.bad']);
  assert.deepEqual(plan.removedFilters, []);
});

test('planReload() writes out defaults as no change: retry 1 and duplicates extend written', async () => {
  const a = await config(BASE);
  const b = await config(
    BASE.replace(
      "regex: ['bad <ip>']",
      "regex: ['bad <ip>']\n        retry: 1\n        duplicates: extend",
    ),
  );
  assert.deepEqual(planReload(a, b).changes, []);
});

test('planReload() keeps a stream whose filters changed, and restarts one whose command changed', async () => {
  const a = await config(BASE);
  const b = await config(
    BASE.replace('retry: 3', 'retry: 5').replace('/var/log/nginx.log', '/var/log/nginx/access.log'),
  );
  const plan = planReload(a, b);
  assert.deepEqual(
    plan.keptStreams.map((k) => k.to.name),
    ['ssh'],
  );
  assert.deepEqual(
    plan.stopStreams.map((s) => s.cmd),
    [['tail', '-F', '/var/log/nginx.log']],
  );
  assert.deepEqual(
    plan.startStreams.map((s) => s.cmd),
    [['tail', '-F', '/var/log/nginx/access.log']],
  );
  assert.deepEqual(ids(plan.keptFilters.values()), ['ssh.failed', 'ssh.invalid', 'web.bad']);
  assert.deepEqual(plan.changes, [
    'stream web changed: its command is started again',
    'filter ssh.failed changed: retry 3 → 5',
  ]);
});

test('planReload() reports filters and actions added, changed and removed, and top-level keys', async () => {
  const a = await config(BASE);
  const b = await config(
    BASE.replace(
      'unban: {cmd: [echo, unban, <ip>], after: 1h}',
      'unban: {cmd: [echo, UNBAN, <ip>], after: 2h}\n          mail: {cmd: [echo, mail, <ip>]}',
    )
      .replace(/ {6}invalid:\n.*\n {8}actions:\n.*\n/, '')
      .replace("user: {regex: '\\w+'}", "user: {regex: '[a-z]+'}")
      .replace(
        'state_directory: /var/lib/riposte',
        'state_directory: /var/lib/riposte\nconcurrency: 4\nstop: [[echo, bye]]',
      ),
  );
  const plan = planReload(a, b);
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(plan.changes, [
    'action ssh.failed.mail added: for triggers from now on',
    'action ssh.failed.unban changed: pending ones run the new definition',
    'filter ssh.invalid removed: its counts and pending actions are dropped',
    'pattern user changed',
    'concurrency: 0 → 4',
    'stop commands changed: they run at the next stop, not now',
  ]);
  assert.deepEqual(ids(plan.removedFilters), ['ssh.invalid']);
});

test('planReload() says which part of a filter changed, its patterns included', async () => {
  const a = await config(BASE);
  const b = await config(
    BASE.replace('ip: {type: ip}', "ip: {type: ip, ignore: ['127.0.0.1']}").replace(
      "'fail <ip>'",
      "'failed <ip>'",
    ),
  );
  assert.deepEqual(planReload(a, b).changes, [
    'filter ssh.failed changed: regex, patterns',
    'filter ssh.invalid changed: patterns',
    'filter web.bad changed: patterns',
    'pattern ip changed',
  ]);
});

test('planReload() starts a new stream and stops a removed one', async () => {
  const a = await config(BASE);
  const b = await config(BASE.replace('  web:', '  www:'));
  const plan = planReload(a, b);
  assert.deepEqual(
    plan.startStreams.map((s) => s.name),
    ['www'],
  );
  assert.deepEqual(
    plan.stopStreams.map((s) => s.name),
    ['web'],
  );
  assert.deepEqual(ids(plan.removedFilters), ['web.bad']);
  assert.deepEqual(plan.changes, [
    'stream www added: started',
    'stream web removed: stopped',
    'filter www.bad added',
    'filter web.bad removed: its counts and pending actions are dropped',
  ]);
});

test('planReload() refuses another state directory, with both paths', async () => {
  const a = await config(BASE);
  const b = await config(BASE.replace('/var/lib/riposte', '/srv/riposte'));
  assert.deepEqual(planReload(a, b).errors, [
    'state_directory cannot change while riposte runs (/var/lib/riposte → /srv/riposte): restart riposte to use the new one, after moving riposte.db there to keep the state',
  ]);
});

test('planReload() refuses to start, stop or change ban sharing, which is set up at start-up', async () => {
  const cluster = "cluster: {node: web1, nats: {servers: ['nats://127.0.0.1:4222']}}\n";
  const peers = `  peers:\n    type: cluster\n    filters:\n      f: {regex: ['ban <ip>'], actions: {a: {cmd: [echo]}}}\n`;
  const error = [
    'cluster: ban sharing (the cluster key, a stream or an action of type cluster) cannot start, stop or change while riposte runs: restart riposte to use the new settings',
  ];
  const a = await config(`${cluster}${BASE}${peers}`);
  assert.deepEqual(planReload(a, await config(`${cluster}${BASE}${peers}`)).errors, []);
  assert.deepEqual(
    planReload(a, await config(`${cluster.replace('web1', 'web2')}${BASE}${peers}`)).errors,
    error,
  );
  assert.deepEqual(planReload(a, await config(`${cluster}${BASE}`)).errors, error);
  assert.deepEqual(planReload(await config(BASE), a).errors, error);
});

test('planReload() refuses a new stream whose program is not in PATH, not a kept one', async () => {
  const a = await config(BASE);
  const b = await config(
    `${BASE}  new:\n    cmd: [riposte-no-such-program, -f]\n    filters:\n      f: {regex: ['x <ip>'], actions: {a: {cmd: [echo]}}}\n`,
  );
  assert.deepEqual(planReload(a, b).errors, [
    'streams.new.cmd: cannot start ["riposte-no-such-program","-f"]: program not found (check PATH)',
  ]);
});
