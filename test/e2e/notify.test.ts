// End-to-end: the second seed's scenario (examples/seeds/server/, Jsonnet with a library):
// each ban of a real SSH client also mails the administrator, through a script standing in
// for `mail`. The mail action is `oneshot`: one mail per ban, none when a restart (after
// SIGKILL or after a clean stop) applies the ban again.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { actionLine, cannotRun, errors, type Lab, openLab } from './net.js';

const RULE = 'Banni 48h pour tentative de co à SSH';

/** The stand-in for the seed's mail script: one line per mail in the outbox. */
function mailScript(lab: Lab): string {
  return lab.sb.script(
    'mailreaction.sh',
    `printf '%s: %s\\n' "$1" "$2" >> "${lab.sb.path('outbox')}"`,
  );
}

/** Starts riposte, then waits until it applied the ban of `client` and has nothing left to run. */
async function started(lab: Lab, config: string, client: string) {
  const daemon = await lab.riposte(config);
  await daemon.waitLog(actionLine('ban', client));
  await lab.waitReach('ipv4', 'dropped');
  await lab.idle();
  return daemon;
}

test('a oneshot mail action sends one mail per ban, and none when a restart applies the ban again', {
  skip: cannotRun(['iptables']),
}, async (t) => {
  const lab = await openLab(t);
  const dir = lab.config('notify', { AFTER: '1h', MAIL: mailScript(lab) });
  const config = join(dir, 'server.jsonnet');
  const { client } = lab.addresses.ipv4;
  const mail = `${client}: ${RULE}`;
  const first = await lab.riposte(config);
  await lab.failLogins('ipv4', 3);
  await lab.waitReach('ipv4', 'dropped');
  await first.waitFile('outbox', 1);
  await lab.idle();
  assert.deepEqual(lab.sb.lines('outbox'), [mail]);

  await first.crash();
  const second = await started(lab, config, client);
  assert.deepEqual(lab.sb.lines('outbox'), [mail], 'no mail after a restart from SIGKILL');

  assert.deepEqual(await second.stop(), { code: 0, signal: null });
  await lab.waitReach('ipv4', 'open');
  const third = await started(lab, config, client);
  assert.deepEqual(lab.sb.lines('outbox'), [mail], 'no mail after a restart from a stop');

  // A new ban is a new mail.
  const flushed = await lab.sb.cli('flush', `ip=${client}`);
  assert.equal(flushed.code, 0, flushed.stderr);
  await lab.waitReach('ipv4', 'open');
  await lab.failLogins('ipv4', 3);
  await lab.waitReach('ipv4', 'dropped');
  await third.waitFile('outbox', 2);
  await lab.idle();
  assert.deepEqual(lab.sb.lines('outbox'), [mail, mail]);
  assert.deepEqual(await third.stop(), { code: 0, signal: null });
  assert.deepEqual([...errors(first), ...errors(second), ...errors(third)], []);
});
