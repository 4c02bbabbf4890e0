// Black-box stress test of persistence (behaviour §2.5): SIGKILL while the daemon triggers
// and schedules hundreds of addresses, then a restart; the action logs must show that no
// trigger, pending action or executed action was lost or duplicated.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, PATTERNS, type Sandbox, sandbox, sleep } from './harness.js';

const COUNT = 500;
/** Hundreds of actions one at a time: a loaded machine needs more than the usual deadline. */
const SLOW = 120_000;

/** Each address fails once (retry 1): a ban now, an unban in an hour (still pending at the end). */
function config(sb: Sandbox, log: string, concurrency: number): Config {
  return {
    concurrency,
    patterns: PATTERNS,
    streams: {
      s: {
        cmd: ['cat', sb.path('in.fifo')],
        filters: {
          f: {
            regex: ['fail from <ip>'],
            actions: {
              ban: { cmd: sb.cmd('record', log, 'ban', '<ip>') },
              unban: { cmd: sb.cmd('record', log, 'unban', '<ip>'), after: '1h' },
            },
          },
          marker: sb.markerFilter(log),
        },
      },
    },
  };
}

/*
 * What is checked. The first daemon writes to before.log, the restarted one to after.log.
 * A ban action runs only once its trigger is durable, so every address in before.log had a
 * stored trigger, whose unban (an hour away) was still pending at the crash. At restart,
 * such a trigger runs its ban once: "again" if the ban was recorded as done, "overdue" if
 * the crash came before that record (an action cut off mid-run, or finished but not yet
 * recorded, runs again: the at-least-once rule). Either way, exactly once. Lines read by
 * the killed daemon but not yet durable are lost, never half-done; lines still in the fifo
 * are read by the new daemon and trigger there, once. Hence:
 * - before.log and after.log each ban an address at most once (nothing duplicated);
 * - every address banned before the crash is banned again after it (no trigger lost);
 * - the pending unbans after the restart are exactly the addresses of after.log, one
 *   each (no pending action lost or duplicated), and flushing them unbans each once.
 * The actions only append a line, so the window in which one is cut off is negligible;
 * an address cut off in that window is still banned once after the restart.
 */
test('a crash under load loses and duplicates no trigger, pending action or executed action', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const addresses = Array.from({ length: COUNT }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
  const first = await sb.started(config(sb, 'before.log', 4));
  // Lines keep coming while the daemon is killed and restarted: the fifo keeps them. The
  // second half is written once the crash has begun, so the crash comes before the end of
  // the work however fast the machine is.
  let crashing = (): void => {};
  const crashed = new Promise<void>((done) => {
    crashing = done;
  });
  const feeding = (async () => {
    for (let i = 0; i < COUNT; i += 10) {
      if (i === COUNT / 2) await crashed;
      input.write(...addresses.slice(i, i + 10).map((ip) => `fail from ${ip}`));
      await sleep(20);
    }
  })();
  await first.waitFile('before.log', 50, SLOW);
  const crash = first.crash();
  crashing();
  await crash;
  await feeding;
  const before = sb.lines('before.log');
  assertBans(before, addresses, 'before.log');

  // One action at a time: once the marker (written after every address) has run, so has
  // every action queued before it.
  const second = await sb.started(config(sb, 'after.log', 1));
  const restored = /INFO {2}state: restored (\d+) trigger\(s\)/.exec(second.log);
  assert.ok(restored !== null && Number(restored[1]) >= before.length, second.log);
  await sb.mark(input, second, 'after.log', SLOW);
  const after = sb.lines('after.log').filter((l) => !l.startsWith('marker'));
  assertBans(after, addresses, 'after.log');
  const banned = new Set(after.map((l) => l.slice('ban '.length)));
  const lost = before.filter((l) => !banned.has(l.slice('ban '.length)));
  assert.deepEqual(lost, [], 'banned before the crash, not banned again after it');

  t.diagnostic(
    `${COUNT} addresses; banned before the crash: ${before.length}; restored triggers: ${restored[1]}; banned after: ${banned.size}`,
  );
  const pending = (await sb.show())['s']?.['f'] ?? {};
  assert.deepEqual(Object.keys(pending).sort(), [...banned].sort());
  for (const [ip, entry] of Object.entries(pending))
    assert.equal(entry.actions?.['unban']?.length, 1, `pending unbans of ${ip}`);

  const flushed = await sb.cli('flush', '-f', 'json');
  assert.equal(flushed.code, 0, flushed.stderr);
  await sb.mark(input, second, 'after.log', SLOW);
  const unbans = sb.lines('after.log').filter((l) => l.startsWith('unban '));
  assert.deepEqual(unbans.map((l) => l.slice('unban '.length)).sort(), [...banned].sort());
  assert.deepEqual(await sb.show(), {});
});

/** Every line bans one of `addresses`, none twice. */
function assertBans(lines: string[], addresses: readonly string[], file: string): void {
  const known = new Set(addresses);
  const seen = new Set<string>();
  for (const line of lines) {
    const [word, ip = ''] = line.split(' ');
    assert.ok(word === 'ban' && known.has(ip), `${file}: unexpected line ${line}`);
    assert.ok(!seen.has(ip), `${file}: ${ip} banned twice`);
    seen.add(ip);
  }
}
