// The `metrics` key through loadConfig(): the addresses it takes, the ones it refuses and
// why, loopback only unless allow_remote says otherwise; and parseListen() on its own.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadConfig } from './config.js';
import { parseListen } from './metrics.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const STREAM = `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['x <ip>'], actions: {a: {cmd: [echo, <ip>]}}}
`;

async function load(metrics: string) {
  const file = join(dir, 'c.yml');
  writeFileSync(file, `${STREAM}metrics: ${metrics}\n`);
  return loadConfig(file);
}

describe('parseListen()', () => {
  const rows: readonly (readonly [string, ReturnType<typeof parseListen>])[] = [
    ['127.0.0.1:9100', { kind: 'tcp', host: '127.0.0.1', port: 9100 }],
    ['[::1]:9100', { kind: 'tcp', host: '::1', port: 9100 }],
    ['localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
    ['metrics.example.net:9100', { kind: 'tcp', host: 'metrics.example.net', port: 9100 }],
    ['/run/riposte/metrics.sock', { kind: 'unix', path: '/run/riposte/metrics.sock' }],
    ['9100', 'cannot parse "9100": expected HOST:PORT or an absolute unix socket path'],
    [
      '127.0.0.1:65536',
      'cannot parse "127.0.0.1:65536": the port must be a number from 0 to 65535',
    ],
    ['127.0.0.1:http', 'cannot parse "127.0.0.1:http": the port must be a number from 0 to 65535'],
    [
      ':9100',
      'cannot parse ":9100": the host is missing (127.0.0.1:9100 serves this machine only)',
    ],
    ['::1:9100', 'cannot parse "::1:9100": write an IPv6 address between brackets, as [::1]:9100'],
    [
      '[1.2.3.4]:9100',
      'cannot parse "[1.2.3.4]:9100": "1.2.3.4" between brackets is not an IPv6 address',
    ],
    ['a b:9100', 'cannot parse "a b:9100": "a b" is neither an address nor a host name'],
  ];
  for (const [text, expected] of rows) {
    test(`parseListen() reads ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseListen(text), expected);
    });
  }
});

describe('loadConfig() with a metrics key', () => {
  test('no metrics key: metrics are not served', async () => {
    const file = join(dir, 'c.yml');
    writeFileSync(file, STREAM);
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok);
    assert.equal(loaded.config.metrics, null);
  });

  test('a loopback address is taken as it is', async () => {
    const loaded = await load("{listen: '127.0.0.2:9100'}");
    assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors.map((e) => e.message)));
    assert.deepEqual(loaded.config.metrics, {
      listen: { kind: 'tcp', host: '127.0.0.2', port: 9100 },
      text: '127.0.0.2:9100',
      allowRemote: false,
    });
  });

  test('a unix socket path is taken as it is', async () => {
    const loaded = await load("{listen: '/run/riposte/metrics.sock'}");
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.config.metrics?.listen, {
      kind: 'unix',
      path: '/run/riposte/metrics.sock',
    });
  });

  const refused: readonly (readonly [string, string])[] = [
    [
      "{listen: '0.0.0.0:9100'}",
      'c.yml:7:19: metrics.listen: 0.0.0.0:9100 is not a loopback address: the metrics would be served to other machines; write allow_remote: true to mean it',
    ],
    [
      "{listen: 'metrics.example.net:9100'}",
      'c.yml:7:19: metrics.listen: metrics.example.net:9100 is not a loopback address: the metrics would be served to other machines; write allow_remote: true to mean it',
    ],
    ['{allow_remote: true}', 'c.yml:7:10: metrics: missing key "listen"'],
    [
      "{listen: '127.0.0.1:9100', allow_remote: yes}",
      'c.yml:7:51: metrics.allow_remote: expected true or false, got the string "yes"',
    ],
    ["{listen: '127.0.0.1:9100', port: 9}", 'c.yml:7:37: metrics.port: unknown key'],
    ['{listen: 9100}', 'c.yml:7:19: metrics.listen: expected a string, got the integer 9100'],
    ["'127.0.0.1:9100'", 'c.yml:7:10: metrics: expected a map, got the string "127.0.0.1:9100"'],
  ];
  for (const [metrics, error] of refused) {
    test(`loadConfig() refuses metrics: ${metrics}`, async () => {
      const loaded = await load(metrics);
      assert.equal(loaded.ok, false);
      assert.deepEqual(
        loaded.ok ? [] : loaded.errors.map((e) => e.message.replace(`${dir}/`, '')),
        [error],
      );
    });
  }

  test('a non-loopback address is taken with allow_remote: true', async () => {
    const loaded = await load("{listen: '0.0.0.0:9100', allow_remote: true}");
    assert.ok(loaded.ok);
    assert.equal(loaded.config.metrics?.allowRemote, true);
  });
});
