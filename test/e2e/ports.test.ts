// End-to-end: a per-port ban of the built-in nftables and ipset types (`ports`, `protocol`)
// drops the banned client's connections to the SSH port and not those to another port of the
// server (a TCP listener on port 80 in the server namespace).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type TestContext, test } from 'node:test';
import { until } from '../daemon/harness.js';
import { cannotRun, type Lab, openLab } from './net.js';

/** A TCP server on port 80 of the server namespace, stopped after the test. */
async function listen80(t: TestContext, lab: Lab): Promise<void> {
  const server = "require('net').createServer((s) => s.end()).listen(80, () => console.log('up'))";
  const child = spawn('ip', ['netns', 'exec', lab.server, process.execPath, '-e', server], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  let up = false;
  child.stdout.on('data', () => {
    up = true;
  });
  await until('the listener on port 80', undefined, () => (up ? true : undefined));
}

/** Whether a TCP connection from the client to the server's port 80 opens within 3 s. */
async function port80(lab: Lab): Promise<'open' | 'closed'> {
  const connect = ['bash', '-c', 'exec 3<>"/dev/tcp/$0/80"', lab.addresses.ipv4.server];
  const r = await lab.inClient(['timeout', '3', ...connect]);
  return r.code === 0 ? 'open' : 'closed';
}

for (const [type, tools] of [
  ['nftables', ['nft']],
  ['ipset', ['ipset', 'iptables']],
] as const) {
  // Under CI every tool is installed: a missing one fails there instead of skipping.
  const skip = process.env['CI'] === 'true' ? false : cannotRun(tools);
  test(`built-in ${type} type with ports: a banned client loses port 22, not port 80`, {
    skip,
  }, async (t) => {
    const lab = await openLab(t);
    await listen80(t, lab);
    await lab.riposte(lab.config(`builtin-ports-${type}.yml`, { AFTER: '1h' }));
    assert.equal(await lab.probe('ipv4'), 'open');
    assert.equal(await port80(lab), 'open');
    await lab.failLogins('ipv4', 2);
    await lab.waitReach('ipv4', 'dropped');
    assert.equal(await port80(lab), 'open', await lab.diagnose());
  });
}
