// reaction's configurations from its documentation and from projects that ship it
// (test/fixtures/reaction/, sources in its README): each loads unchanged, or is refused for
// a mistake that reaction refuses too, or for a danger riposte refuses on purpose, with the
// exact errors.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/concepts/config.js';
import { ROOT } from '../daemon/harness.js';

const FIXTURES = join(ROOT, 'test/fixtures/reaction');

/** Fixtures that load, with the streams they define. */
const LOADING: readonly [path: string, streams: readonly string[]][] = [
  ['v1/example.jsonnet', ['ssh']],
  ['v1/example.yml', ['ssh']],
  ['v1/reaction.jsonnet', ['ssh']],
  ['v1/heavy-load.yml', ['tailDown1', 'tailDown2', 'tailDown3', 'tailDown4']],
  ['v1/persistence.jsonnet', ['tailDown1', 'tailDown2']],
  ['v1/test.jsonnet', ['tailDown1']],
  ['openwrt/etc-reaction/', ['luci', 'ssh']],
  ['openwrt/bench/bench-inline.jsonnet', ['bench']],
  ['openwrt/bench/bench-plugin.jsonnet', ['bench']],
  ['openwrt/bench/test-with-nftables-plugin.jsonnet', ['log']],
  ['openwrt/bench/test-without-plugin.jsonnet', ['log']],
  ['openwrt-packages/reaction.jsonnet', ['ssh']],
  ['docs/plugins.jsonnet', ['recidive', 's1']],
];

for (const [path, streams] of LOADING) {
  test(`reaction's configuration ${path} loads unchanged`, async () => {
    const loaded = await loadConfig(join(FIXTURES, path));
    assert.deepEqual(loaded.ok ? [] : loaded.errors.map((e) => e.message), []);
    assert.ok(loaded.ok);
    assert.deepEqual(
      loaded.config.streams.map((s) => s.name),
      streams,
    );
  });
}

/** Fixtures refused for a mistake that reaction refuses too (see README.md there). */
const REFUSED: readonly [path: string, why: string, errors: readonly string[]][] = [
  [
    'v1/server.jsonnet',
    'two filters write "action" for "actions": reaction 2 refuses unknown keys too',
    [
      'streams.nginx.filters.gptbot.action: unknown key, did you mean "actions"?',
      'streams.nginx.filters.suspectRequests.action: unknown key, did you mean "actions"?',
    ],
  ],
  [
    'v1/reaction.yml',
    'flow sequences without commas are not YAML: any YAML parser refuses them',
    ['5:31: cannot parse YAML: Missing , or : between flow sequence items'],
  ],
  [
    'v1/reaction.test.yml',
    'the syntax of reaction before 1.0 (a pattern as a string, "retry-period"), which reaction 2 refuses',
    [
      '3:7: patterns.ip: expected a map, got a string of 50 characters',
      '13:9: streams.tailDown.filters.findIP.retry-period: unknown key, did you mean "retryperiod"?',
    ],
  ],
  [
    'v1/activitywatch.jsonnet',
    'riposte refuses on purpose what reaction runs: a regex pattern inside the code "sh -c" runs lets a log line run commands',
    [
      "streams.sway.filters.send.actions.send.cmd[2]: <all> is inside the code that \"sh -c\" runs: a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['sh', '-c', 'echo \"$1\"', 'sh', '<all>']",
      "streams.swayidle.filters.send.actions.send.cmd[2]: <all> is inside the code that \"sh -c\" runs: a log line chooses the value, which can then run commands; pass the value as an argument instead, as in ['sh', '-c', 'echo \"$1\"', 'sh', '<all>']",
    ],
  ],
  [
    'yunohost/',
    '"\\S*[<ip>]" puts the pattern inside a character class, where it is no capture: reaction, which substitutes the text, does not capture ip there either',
    [
      'streams.mail.filters.postfix.regex[1]: captures the patterns (none) but regex[0] captures (ip): every regex of a filter must capture the same patterns',
      'streams.mail.filters.postfix.regex[2]: captures the patterns (none) but regex[0] captures (ip): every regex of a filter must capture the same patterns',
    ],
  ],
];

for (const [path, why, errors] of REFUSED) {
  test(`reaction's configuration ${path} is refused: ${why}`, async () => {
    const loaded = await loadConfig(join(FIXTURES, path));
    assert.equal(loaded.ok, false);
    if (loaded.ok) return;
    // Places are file:line:col for YAML and the file for Jsonnet: compared without the file.
    assert.deepEqual(
      loaded.errors.map((e) =>
        e.message.replace(/^\S+?\.(?:jsonnet|ya?ml|json)(?::(?=\d)|: )/, ''),
      ),
      errors,
    );
  });
}
