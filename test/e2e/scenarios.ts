// The end-to-end scenarios every firewall variant goes through: a real SSH client fails to
// log in, riposte bans it in the kernel, `show`, `flush`, the unban after its delay, a restart
// after SIGKILL or after a clean stop, and no rule left behind. Receives a variant (its
// fixture, its address families, its firewall); registers its tests with node:test.

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DEADLINE, type Daemon, logTime, TooSlow } from '../daemon/harness.js';
import {
  actionLine,
  cannotRun,
  errors,
  type Family,
  type Firewall,
  type Lab,
  openLab,
  patientLab,
  pendingUnban,
} from './net.js';

export interface Variant {
  /** How the test names say it: "nftables sets (nft commands)". */
  readonly name: string;
  /** A file of test/e2e/fixtures/ with the placeholders @LOG@, @STATE@ and @AFTER@. */
  readonly fixture: string;
  /** The families the configuration bans, each tested with its own client address. */
  readonly families: readonly Family[];
  /** The programs it needs besides ip, sshd, ssh, sshpass. */
  readonly tools: readonly string[];
  readonly firewall: Firewall;
}

/** How long bans last in the timed scenarios; a slow machine makes them 3 then 9 times longer. */
const SHORT_BAN = 8000;
const RESTART_BAN = 12_000;

/** Registers the tests of one variant. */
export function firewallTests(v: Variant): void {
  const skip = cannotRun(v.tools);
  const options = skip === false ? {} : { skip };
  const over = v.families.map((f) => (f === 'ipv4' ? 'IPv4' : 'IPv6')).join(' and ');
  test(
    `${v.name}: the third failed login over ${over} bans the client, show lists it, flush lets it back, stop leaves no rule`,
    options,
    (t) => banShowFlush(t, v),
  );
  test(`${v.name}: a ban is lifted by itself after its delay`, options, (t) =>
    patientLab(t, SHORT_BAN, (lab, delay) => autoUnban(lab, v, delay)),
  );
  test(
    `${v.name}: killed with SIGKILL and started again, riposte bans again and unbans on time`,
    options,
    (t) => patientLab(t, RESTART_BAN, (lab, delay) => restart(lab, v, delay, 'kill')),
  );
  test(
    `${v.name}: stopped (which lifts the bans) and started again, riposte bans again and unbans on time`,
    options,
    (t) => patientLab(t, RESTART_BAN, (lab, delay) => restart(lab, v, delay, 'stop')),
  );
}

async function banShowFlush(t: TestContext, v: Variant): Promise<void> {
  const lab = await openLab(t);
  const before = await lab.firewall(v.firewall);
  const daemon = await lab.riposte(lab.config(v.fixture, { AFTER: '1h' }));
  const base = await lab.firewall(v.firewall);
  assert.notEqual(base, before, 'the firewall structure is made at start');
  for (const family of v.families) {
    const { client } = lab.addresses[family];
    await lab.failLogins(family, 2);
    await lab.waitMatches(client, 2);
    // Two are not enough; and a ban of the other family (made before) does not hold this one.
    await lab.waitReach(family, 'open');
    await lab.failLogins(family, 1);
    await lab.waitReach(family, 'dropped');
  }
  const report = await lab.sb.show();
  const clients = v.families.map((f) => lab.addresses[f].client);
  assert.deepEqual(Object.keys(report['ssh']?.['failedlogin'] ?? {}).sort(), [...clients].sort());
  // Every ban is an action, counted by its owner whatever its type (commands or kernel sets).
  const status = await lab.sb.cli('status', '-f', 'json');
  const { started } = (JSON.parse(status.stdout) as { actions: { started: number } }).actions;
  assert.ok(started >= v.families.length, `status counts ${started} actions: ${status.stdout}`);
  for (const client of clients) {
    const due = pendingUnban(report, client);
    assert.ok(due !== undefined && due > Date.now() + 30 * 60_000, JSON.stringify(report));
  }
  for (const [i, family] of v.families.entries()) {
    await flushOne(lab, family);
    // The other family's ban stays.
    for (const other of v.families.slice(i + 1)) await lab.waitReach(other, 'dropped');
  }
  assert.equal(await lab.firewall(v.firewall), base, 'the unbans leave the structure as it was');
  await stopsClean(lab, daemon, v, before);
}

async function flushOne(lab: Lab, family: Family): Promise<void> {
  const { client } = lab.addresses[family];
  const flushed = await lab.sb.cli('flush', `ip=${client}`);
  assert.equal(flushed.code, 0, flushed.stderr);
  assert.ok(flushed.stdout.includes(client), `flush says what it flushed: ${flushed.stdout}`);
  await lab.waitReach(family, 'open');
  const report = await lab.sb.show();
  assert.equal(report['ssh']?.['failedlogin']?.[client], undefined, JSON.stringify(report));
}

/** A clean stop: exit status 0, and the firewall as it was before riposte started. */
async function stopsClean(lab: Lab, daemon: Daemon, v: Variant, before: string): Promise<void> {
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  assert.equal(await lab.firewall(v.firewall), before, 'stop leaves no rule behind');
  assert.deepEqual(errors(daemon), []);
}

/** Fails 3 logins over each family and waits until each is dropped; returns the unban times. */
async function banAll(lab: Lab, v: Variant, start: number, delay: number): Promise<number[]> {
  for (const family of v.families) await lab.failLogins(family, 3);
  const before = start + delay;
  await Promise.all(v.families.map((f) => lab.waitReach(f, 'dropped', { before })));
  const report = await lab.sb.show();
  return v.families.map((family) => {
    const due = pendingUnban(report, lab.addresses[family].client);
    if (due === undefined && Date.now() >= before) throw new TooSlow('the unban already ran');
    assert.ok(due !== undefined, `a pending unban: ${JSON.stringify(report)}`);
    return due;
  });
}

/** Waits until each family is let through again, and checks its unban ran once, not early. */
async function unbannedOnTime(lab: Lab, v: Variant, daemon: Daemon, dues: number[]) {
  const deadline = Math.max(...dues) - Date.now() + DEADLINE;
  await Promise.all(v.families.map((f) => lab.waitReach(f, 'open', { deadline })));
  for (const [i, family] of v.families.entries()) {
    const line = await daemon.waitLog(actionLine('unban', lab.addresses[family].client));
    assert.ok(logTime(line) >= dues[i]!, `unbanned before ${new Date(dues[i]!)}: ${line}`);
    assert.equal(daemon.logLines(actionLine('unban', lab.addresses[family].client)).length, 1);
  }
  assert.deepEqual(await lab.sb.show(), {});
}

async function autoUnban(lab: Lab, v: Variant, delay: number): Promise<void> {
  const before = await lab.firewall(v.firewall);
  const daemon = await lab.riposte(lab.config(v.fixture, { AFTER: `${delay}ms` }));
  const base = await lab.firewall(v.firewall);
  const dues = await banAll(lab, v, Date.now(), delay);
  await unbannedOnTime(lab, v, daemon, dues);
  assert.equal(await lab.firewall(v.firewall), base, 'the unbans leave the structure as it was');
  await stopsClean(lab, daemon, v, before);
}

async function restart(lab: Lab, v: Variant, delay: number, how: 'kill' | 'stop'): Promise<void> {
  const before = await lab.firewall(v.firewall);
  const config = lab.config(v.fixture, { AFTER: `${delay}ms` });
  const first = await lab.riposte(config);
  const base = await lab.firewall(v.firewall);
  const dues = await banAll(lab, v, Date.now(), delay);
  const clients = v.families.map((f) => lab.addresses[f].client);
  if (how === 'kill') {
    await first.crash();
    const left = await lab.firewall(v.firewall);
    for (const client of clients)
      assert.ok(left.includes(client), `the kill left the ban:\n${left}`);
  } else {
    await stopsClean(lab, first, v, before);
    await Promise.all(v.families.map((f) => lab.waitReach(f, 'open')));
  }
  const again = await lab.riposte(config);
  const due = Math.min(...dues);
  // An unban already due when the state was read runs alone: its ban is not applied again.
  const restored = await again.waitLog(/INFO {2}state: restored /);
  if (logTime(restored) >= due) throw new TooSlow('an unban fell due before the restart');
  for (const client of clients) await again.waitLog(actionLine('ban', client));
  await Promise.all(v.families.map((f) => lab.waitReach(f, 'dropped', { before: due })));
  const report = await lab.sb.show();
  const pending = clients.map((c) => pendingUnban(report, c));
  if (pending.includes(undefined) && Date.now() >= due) throw new TooSlow('an unban already ran');
  assert.deepEqual(pending, dues, 'the unbans keep their times');
  await unbannedOnTime(lab, v, again, dues);
  assert.equal(await lab.firewall(v.firewall), base, 'the unbans leave the structure as it was');
  assert.deepEqual(errors(first), []);
  await stopsClean(lab, again, v, before);
}
