// Black-box tests of behaviour §4: no regex of the configuration stalls the daemon on text
// it did not write. A regex with nested repetition takes exponential time on V8 for a
// line of a few dozen characters; riposte runs it on its linear-time engine instead, on
// lines, on captured values (`ignoreregex`) and on values given to `trigger`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, type Sandbox, sandbox } from './harness.js';

/** 40 characters that `(a+)+b` explores in 2^40 ways before failing on V8. */
const HOSTILE = 'a'.repeat(40);

/** Filter `f` records `seen VALUE` for each `login <user>` line; `user` is `patterns.user`. */
function config(sb: Sandbox, user: Config): Config {
  const f = {
    regex: ['^login <user>$'],
    actions: { seen: { cmd: sb.cmd('record', 'actions.log', 'seen', '<user>') } },
  };
  return { ...sb.fifoConfig({ f }), patterns: { user, n: { regex: '[0-9]+' } } };
}

test('an ignoreregex with nested repetition does not stall the daemon on a hostile value', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, { regex: '\\S+', ignoreregex: ['(a+)+b'] }));
  input.write(`login ${HOSTILE}`, 'login aab');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [`seen ${HOSTILE}`, 'marker 1']);
});

test('a pattern regex with nested repetition does not stall trigger on a hostile value', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, { regex: '(a|aa)+', ignoreregex: ['(a+)+b'] }));
  const refused = await sb.cli('trigger', 's.f', `user=${HOSTILE}!`);
  assert.deepEqual(refused, {
    code: 1,
    stdout: '',
    stderr: `riposte: cannot trigger s.f: user=${HOSTILE}! is not a valid value of pattern "user" (regex (a|aa)+)\n`,
  });
  const taken = await sb.cli('trigger', 's.f', `user=${HOSTILE}`);
  assert.equal(taken.code, 0, taken.stderr);
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [`seen ${HOSTILE}`, 'marker 1']);
});
