// reaction's plugin declarations through loadConfig(): those of reaction's own plugins load,
// with the option names of reaction's plugin pages; the start-up line says what runs them.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadConfig } from './config.js';
import { pluginsLine } from './plugin.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function load(text: string) {
  const file = join(dir, 'c.yml');
  writeFileSync(file, text);
  return loadConfig(file);
}

/** reaction 2.3's way: plugins declared, their types used, reaction's option names. */
const DECLARED = `plugins:
  nftables: {path: /usr/bin/reaction-plugin-nftables, systemd: false}
  ipset: {path: /usr/bin/reaction-plugin-ipset, check_root: true, systemd_options: {CapabilityBoundingSet: ['~CAP_NET_ADMIN', '~CAP_PERFMON']}}
  recidive: {path: /usr/bin/reaction-plugin-virtual}
patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f:
        regex: ['x <ip>']
        actions:
          ban: {type: nftables, options: {set: bans, action: add, hooks: [input]}}
          unban: {type: nftables, options: {set: bans, action: delete, hooks: [input]}, after: 1h}
          ban6: {type: ipset, options: {set: bans, action: add, version: ipv6}}
          unban6: {type: ipset, options: {set: bans, action: del, version: ipv6}, after: 1h}
          again: {type: virtual, options: {send: '<ip>', to: recidive}}
  recidive:
    type: virtual
    filters:
      f: {regex: ['^<ip>$'], actions: {a: {cmd: [echo, '<ip>']}}}
`;

describe('plugin declarations', () => {
  test("loadConfig() accepts the declarations of reaction's own plugins and runs their types", async () => {
    const loaded = await load(DECLARED);
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
    if (!loaded.ok) return;
    assert.deepEqual(
      loaded.config.plugins.map((p) => [p.name, p.builtIn, p.path]),
      [
        ['nftables', 'nftables', '/usr/bin/reaction-plugin-nftables'],
        ['ipset', 'ipset', '/usr/bin/reaction-plugin-ipset'],
        ['recidive', 'virtual', '/usr/bin/reaction-plugin-virtual'],
      ],
    );
    const actions = loaded.config.streams[0]!.filters[0]!.actions;
    const ban = actions.find((a) => a.name === 'ban')!;
    assert.equal(ban.type, 'nftables');
    assert.deepEqual(ban.type === 'nftables' ? ban.chains : [], ['input']);
  });

  test('pluginsLine() names each declared plugin and the built-in type that stands for it', async () => {
    const loaded = await load(DECLARED);
    assert.ok(loaded.ok);
    assert.equal(
      pluginsLine(loaded.config.plugins),
      'plugins: nftables (the action type "nftables"), ipset (the action type "ipset"), recidive (the stream and action type "virtual") run built into riposte; the plugin programs are not started',
    );
    assert.equal(pluginsLine([]), undefined);
  });

  test('loadConfig() refuses both "hooks" and "chains" on one nftables action', async () => {
    const loaded = await load(
      DECLARED.replace('hooks: [input]}}\n', 'hooks: [input], chains: [input]}}\n'),
    );
    assert.equal(loaded.ok, false);
    if (loaded.ok) return;
    assert.deepEqual(
      loaded.errors.map((e) => e.message.replace(`${dir}/`, '')),
      [
        'c.yml:13:83: streams.s.filters.f.actions.ban.options.chains: write either "hooks" or "chains", not both',
      ],
    );
  });
});
