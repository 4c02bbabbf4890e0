// The `cluster` key and the cluster stream and action types, through loadConfig(): what is
// accepted, the defaults, and every mistake named at its key.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Loaded, loadConfig } from './config.js';

const NATS = { servers: ['nats://127.0.0.1:4222'], user: 'web1', password_file: '/etc/p' };
const PEERS = {
  type: 'cluster',
  filters: {
    banned: {
      regex: ['^ban <ip>$'],
      actions: {
        ban: { cmd: ['ban', '<ip>'] },
        unban: { cmd: ['unban', '<ip>'], after: '3d' },
      },
    },
  },
};
const SSH = {
  cmd: ['tail', '-F', '/var/log/auth.log'],
  filters: {
    f: {
      regex: ['fail <ip>'],
      retry: 3,
      retryperiod: '1h',
      actions: { share: { type: 'cluster', options: { send: 'ban <ip>' } } },
    },
  },
};

async function load(config: object): Promise<Loaded> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ patterns: { ip: { type: 'ip' } }, ...config }));
    return await loadConfig(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function errors(config: object): Promise<string[]> {
  const loaded = await load(config);
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.errors.map((e) => e.reason);
}

test('loadConfig() reads a cluster with its defaults; max_age covers the longest ban', async () => {
  const loaded = await load({
    cluster: { node: 'web1', nats: NATS },
    streams: { peers: PEERS, ssh: SSH },
  });
  assert.ok(loaded.ok);
  const cluster = loaded.config.cluster!;
  assert.equal(cluster.node, 'web1');
  assert.deepEqual(cluster.nats.credentials, {
    type: 'password',
    user: 'web1',
    passwordFile: '/etc/p',
  });
  assert.equal(cluster.nats.subject, 'riposte.bans');
  assert.equal(cluster.nats.stream, 'RIPOSTE_BANS');
  assert.equal(cluster.nats.maxAge, 3 * 86_400_000);
  const share = loaded.config.streams[1]!.filters[0]!.actions[0]!;
  assert.equal(share.type, 'cluster');
});

test('loadConfig() takes the node name from the host name by default', async () => {
  const loaded = await load({ cluster: { nats: NATS }, streams: { peers: PEERS } });
  assert.ok(loaded.ok);
  assert.match(loaded.config.cluster!.node, /^[A-Za-z0-9_-]+$/);
});

const BROKEN: [string, object, string][] = [
  [
    'a cluster stream without the cluster key',
    { streams: { peers: PEERS } },
    'streams.peers.type: a stream of type "cluster" needs the "cluster" key',
  ],
  [
    'a cluster action without the cluster key',
    { streams: { ssh: SSH } },
    'streams.ssh.filters.f.actions.share.type: an action of type "cluster" needs the "cluster" key',
  ],
  [
    'two cluster streams',
    { cluster: { node: 'a', nats: NATS }, streams: { peers: PEERS, more: PEERS } },
    'streams.more.type: a configuration has one stream of type "cluster" at most ("peers" is one): its filters tell the lines apart',
  ],
  [
    'a command on a cluster stream',
    { cluster: { node: 'a', nats: NATS }, streams: { peers: { ...PEERS, cmd: ['cat'] } } },
    'streams.peers.cmd: a cluster stream has no command: the actions of type "cluster" of the other hosts feed it',
  ],
  [
    'a node name that is not a subject token',
    { cluster: { node: 'web.1', nats: NATS }, streams: { peers: PEERS } },
    'cluster.node: a node name is 1 to 64 letters, digits, "_" or "-"',
  ],
  [
    'two ways to authenticate',
    { cluster: { node: 'a', nats: { ...NATS, token: 't' } }, streams: { peers: PEERS } },
    'cluster.nats: "user" and "token" are two ways to authenticate: keep one',
  ],
  [
    'a user without a password',
    {
      cluster: { node: 'a', nats: { servers: ['nats://h:4222'], user: 'u' } },
      streams: { peers: PEERS },
    },
    'cluster.nats: user "u" needs one of "password" or "password_file"',
  ],
  [
    'no servers',
    { cluster: { node: 'a', nats: { user: 'u', password: 'p' } }, streams: { peers: PEERS } },
    'cluster.nats: missing key "servers"',
  ],
  [
    'an unknown key',
    { cluster: { node: 'a', nats: { ...NATS, replica: 3 } }, streams: { peers: PEERS } },
    'cluster.nats.replica: unknown key, did you mean "replicas"?',
  ],
  [
    'a subject with a wildcard',
    { cluster: { node: 'a', nats: { ...NATS, subject: 'bans.>' } }, streams: { peers: PEERS } },
    'cluster.nats.subject: "bans.>" is not valid here: letters, digits, "_" and "-" only',
  ],
  [
    'a send line with a line break',
    {
      cluster: { node: 'a', nats: NATS },
      streams: {
        ssh: {
          ...SSH,
          filters: {
            f: {
              regex: ['fail <ip>'],
              actions: { s: { type: 'cluster', options: { send: 'a\n<ip>' } } },
            },
          },
        },
      },
    },
    'streams.ssh.filters.f.actions.s.options.send: a line cannot hold a line break',
  ],
];

for (const [name, config, error] of BROKEN) {
  test(`loadConfig() reports ${name}`, async () => {
    assert.deepEqual(await errors(config), [error]);
  });
}
