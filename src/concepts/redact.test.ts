// redactor() and redactedPath(): what of a message is masked when a configuration read a
// file as data, and what is not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactedPath, redactor } from './redact.js';

const SHADOW =
  'root:$y$j9T$Qm3kH1xB0yZ:19700:0:99999:7:::\nsshd:*:19700:0:99999:7:::\nalice:*:19700::::::\n';

test('redactor() masks every run of the data found in a message', () => {
  const redact = redactor([SHADOW]);
  assert.equal(
    redact('c.jsonnet: streams: expected a map, got the string "root:$y$j9T$Qm3kH1xB0"'),
    'c.jsonnet: streams: expected a map, got the string "…"',
  );
  assert.equal(redact('cannot evaluate Jsonnet: x$j9T$Qm3kH1xy'), 'cannot evaluate Jsonnet: x…y');
});

test('redactor() masks a quoted word of the data, not one inside a longer word', () => {
  const redact = redactor([SHADOW]);
  assert.equal(redact('"root" is not a stream'), '"…" is not a stream');
  assert.equal(redact('"ssh" is not a stream'), '"ssh" is not a stream');
  assert.equal(redact('"s" is not a stream'), '"s" is not a stream');
  assert.equal(redact("parse error; last read: 'alice'"), "parse error; last read: '…'");
});

test('redactor() leaves a message alone when nothing was read as data', () => {
  const message = 'c.yml:3:1: streams: expected a map, got the string "root:x"';
  assert.equal(redactor([])(message), message);
  assert.equal(redactor([''])(message), message);
});

test('redactor() masks every quoted text once the data is too large to index', () => {
  const redact = redactor(['x'.repeat((1 << 20) + 1)]);
  assert.equal(redact('"to" is "nothing" here'), '"…" is "…" here');
});

test('redactedPath() masks the keys that are data', () => {
  const redact = redactor([SHADOW]);
  assert.equal(redactedPath(['streams', 'root', 'cmd', 0], redact), 'streams.….cmd[0]');
  assert.equal(redactedPath(['streams', 'ssh', 'cmd'], redact), 'streams.ssh.cmd');
});
