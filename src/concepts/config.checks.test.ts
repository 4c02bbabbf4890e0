// loadConfig() on what config.ts checks itself: the `history` and `state_rotation_interval`
// keys (defaults, values, refusals named at their key), a directory of maps and non-maps, the
// lint's refusals and warnings, and one kernel set's options agreed on by all its actions.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { type Loaded, loadConfig } from './config.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riposte-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `files` (name → text) in the test's directory and loads `path` in it. */
async function load(files: Record<string, string>, path = 'c.yml'): Promise<Loaded> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return loadConfig(join(dir, path));
}

/** The messages of a refused configuration, each with its place relative to the directory. */
function errors(loaded: Loaded): string[] {
  assert.equal(loaded.ok, false);
  return loaded.ok ? [] : loaded.errors.map((e) => e.message.replaceAll(`${dir}/`, ''));
}

function warnings(loaded: Loaded): string[] {
  return loaded.warnings.map((w) => `${w.place.replaceAll(`${dir}/`, '')}: ${w.message}`);
}

const STREAM = `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['x <ip>'], actions: {a: {cmd: [echo, <ip>]}}}
`;

describe('loadConfig() on the history and the rotation', () => {
  test('history is 7 days when it is not written', async () => {
    const loaded = await load({ 'c.yml': STREAM });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.history, 7 * 86_400_000);
  });

  test('history is read as a duration, and 0 keeps none', async () => {
    for (const [text, ms] of [
      ['1d', 86_400_000],
      ['90 min', 90 * 60_000],
      ['0s', 0],
    ] as const) {
      const loaded = await load({ 'c.yml': `${STREAM}history: ${text}\n` });
      assert.deepEqual(warnings(loaded), []);
      assert.ok(loaded.ok, text);
      assert.equal(loaded.config.history, ms, text);
    }
  });

  test('a history that is not a duration is refused at its key', async () => {
    const loaded = await load({ 'c.yml': `${STREAM}history: soon\nconcurrency: 2\n` });
    assert.deepEqual(errors(loaded), [
      'c.yml:7:10: history: cannot parse duration "soon": expected an integer followed by a unit, such as "48h" or "30 min"',
    ]);
    const number = await load({ 'c.yml': `${STREAM}history: 7\n` });
    assert.deepEqual(errors(number), ['c.yml:7:10: history: expected a string, got the integer 7']);
  });

  test('a state_rotation_interval that is not a duration is refused at its key', async () => {
    const loaded = await load({ 'c.yml': `${STREAM}state_rotation_interval: 2x\n` });
    assert.deepEqual(errors(loaded), [
      'c.yml:7:26: state_rotation_interval: cannot parse duration "2x": unknown unit "x" (ms, s, m, h or d)',
    ]);
  });
});

describe('loadConfig() on what it returns beside the errors', () => {
  test('a file that cannot be read gives its error and no warning', async () => {
    const loaded = await load({}, 'missing.yml');
    assert.deepEqual(errors(loaded), [
      'missing.yml: cannot read configuration: no such file or directory',
    ]);
    assert.deepEqual(loaded.warnings, []);
  });

  test('a directory with one map beside a file that is not one: the map is checked too', async () => {
    const files = { 'a.yml': '# empty\n', 'b.yml': `${STREAM}concurrency: many\n` };
    const loaded = await load(files, '.');
    assert.deepEqual(errors(loaded), [
      'a.yml: the configuration must be a map at the top level, got null',
      'b.yml:7:14: concurrency: expected an integer, got the string "many"',
    ]);
  });

  test('a valid configuration gets the lint warnings, a refused one only its errors', async () => {
    const unknown = STREAM.replace('[echo, <ip>]', '[riposte-no-such-program, <ip>]');
    const valid = await load({ 'c.yml': unknown });
    assert.ok(valid.ok);
    assert.deepEqual(warnings(valid), [
      'c.yml:6:50: streams.s.filters.f.actions.a.cmd[0]: program "riposte-no-such-program" is not found in PATH',
    ]);
    const refused = await load({ 'c.yml': `${unknown}colour: blue\n` });
    assert.deepEqual(errors(refused), ['c.yml:7:1: colour: unknown key']);
    assert.deepEqual(refused.warnings, []);
  });

  test("a configuration that the lint refuses is not loaded: a value inside a shell's code", async () => {
    const config = STREAM.replace('<ip>', '<ip> <user>')
      .replace('{ip: {type: ip}}', "{ip: {type: ip}, user: {regex: '[a-z]+'}}")
      .replace('[echo, <ip>]', "[sh, -c, 'echo <user>']");
    const loaded = await load({ 'c.yml': config });
    assert.deepEqual(errors(loaded), [
      `c.yml:6:65: streams.s.filters.f.actions.a.cmd[2]: <user> is inside the code that "sh -c" runs: a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['sh', '-c', 'echo "$1"', 'sh', '<user>']`,
    ]);
  });
});

/** A configuration of two streams whose actions `a` (of s, filter f) and `b` (of t, filter g) are those given. */
function twoSets(a: string, b: string): string {
  return `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['x <ip>'], actions: {log: {cmd: [echo, <ip>]}, a: ${a}}}
  t:
    cmd: [tail]
    filters:
      e: {regex: ['y <ip>'], actions: {log: {cmd: [echo, <ip>]}}}
      g: {regex: ['z <ip>'], actions: {b: ${b}}}
`;
}

describe('loadConfig() on the actions of one kernel set', () => {
  test('a ban and its unban in one set, with the same options, load', async () => {
    for (const type of ['nftables', 'ipset']) {
      const loaded = await load({
        'c.yml': twoSets(
          `{type: ${type}, options: {set: bans, action: add, version: ipv4}}`,
          `{type: ${type}, options: {set: bans, action: del, version: ipv4}, after: 1h}`,
        ),
      });
      assert.deepEqual(loaded.ok ? [] : errors(loaded), [], type);
    }
  });

  test('an nftables set and an ipset set of one name are two sets', async () => {
    const loaded = await load({
      'c.yml': twoSets(
        '{type: nftables, options: {set: bans, hooks: [input]}}',
        '{type: ipset, options: {set: bans, chains: [FORWARD]}}',
      ),
    });
    assert.deepEqual(loaded.ok ? [] : errors(loaded), []);
  });

  const REFUSED: readonly (readonly [string, string, string, string])[] = [
    [
      'nftables',
      '{type: nftables, options: {set: bans, hooks: [input]}}',
      '{type: nftables, options: {set: bans, hooks: [input, forward]}}',
      'c.yml:11:69',
    ],
    [
      'ipset',
      '{type: ipset, options: {set: bans, version: ipv4}}',
      '{type: ipset, options: {set: bans, version: ipv6}}',
      'c.yml:11:66',
    ],
  ];
  for (const [type, a, b, place] of REFUSED) {
    test(`two ${type} actions of one set with other options are refused, both named`, async () => {
      const loaded = await load({ 'c.yml': twoSets(a, b) });
      assert.deepEqual(errors(loaded), [
        `${place}: streams.t.filters.g.actions.b.options: the ${type} set "bans" is also used by streams.s.filters.f.actions.a.options with other version, chains, target, ports or protocol`,
      ]);
    });
  }

  test('each action that differs from the first is named, against the first', async () => {
    const nft = (ports: string) => `{type: nftables, options: {set: bans, ports: [${ports}]}}`;
    const config = `patterns: {ip: {type: ip}}
streams:
  s:
    cmd: [tail]
    filters:
      f: {regex: ['x <ip>'], actions: {a: ${nft('22')}, b: ${nft('80')}, c: ${nft('22')}, d: ${nft('443')}}}
`;
    assert.deepEqual(
      errors(await load({ 'c.yml': config })).map((e) => e.replace(/ with other .*/, '')),
      ['b', 'd'].map(
        (name) =>
          `c.yml:6:${name === 'b' ? 125 : 237}: streams.s.filters.f.actions.${name}.options: the nftables set "bans" is also used by streams.s.filters.f.actions.a.options`,
      ),
    );
  });
});
