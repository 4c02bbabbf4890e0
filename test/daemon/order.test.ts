// Black-box tests of the order of a match's actions through the real daemon: SIGKILL and
// restart again and again while slow bans run and short unbans fall due, and a flush while
// a ban runs. Whatever happens, an address's last action is its unban.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Config, PATTERNS, type Sandbox, sandbox, sleep } from './harness.js';

const CYCLES = 20;
const PER_CYCLE = 4;
/** The whole loop, on a loaded machine; it takes 20 to 40 s. */
const LOOP_TIMEOUT = 150_000;

/** mulberry32: the loop's waits come from a seed, printed, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `fail from <ip>`, in two filters: each bans in 0.3 s (start and end logged) and unbans
 * (at once) 0.3 s or 2 s later: one unban is overdue at most restarts, the other often not.
 */
function config(sb: Sandbox): Config {
  sb.script('slow-ban', 'echo "start ban $2" >> "$1"; sleep 0.3; echo "end ban $2" >> "$1"');
  const filter = (name: string, after: string) => ({
    regex: ['fail from <ip>'],
    actions: {
      ban: { cmd: [sb.path('slow-ban'), sb.path('actions.log'), `${name} <ip>`] },
      unban: { cmd: sb.cmd('record', 'actions.log', 'unban', name, '<ip>'), after },
    },
  });
  return {
    concurrency: 8,
    patterns: PATTERNS,
    streams: {
      s: {
        cmd: ['cat', sb.path('in.fifo')],
        filters: { f: filter('f', '300ms'), g: filter('g', '2s') },
      },
    },
  };
}

/** The matches ("f 1.2.3.4") whose last line in the action log is not their unban, with that line. */
function notUnbanned(lines: readonly string[]): string[] {
  const last = new Map<string, string>();
  for (const line of lines) last.set(line.split(' ').slice(-2).join(' '), line);
  return [...last].filter(([match, line]) => line !== `unban ${match}`).map(([, line]) => line);
}

async function drained(sb: Sandbox): Promise<void> {
  for (const end = Date.now() + 60_000; ; await sleep(50)) {
    const r = await sb.cli('status', '-f', 'json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      pending: number;
      actions: { running: number; waiting: number };
    };
    if (s.pending === 0 && s.actions.running === 0 && s.actions.waiting === 0) return;
    assert.ok(Date.now() < end, `actions still pending: ${r.stdout}`);
  }
}

test(`${CYCLES} SIGKILL and restarts while slow bans run and short unbans fall due: every address ends unbanned`, {
  timeout: LOOP_TIMEOUT,
}, async (t) => {
  const seed = Number(process.env['RIPOSTE_ORDER_SEED'] ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (again with RIPOSTE_ORDER_SEED=${seed})`);
  const next = random(seed);
  const sb = sandbox(t);
  const input = sb.fifo();
  const cfg = config(sb);
  let bans = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const daemon = sb.start(cfg);
    input.write(
      ...Array.from({ length: PER_CYCLE }, (_, i) => `fail from 198.18.${cycle}.${i + 1}`),
    );
    // Killed while bans run: some new, some applied again at start-up, a few moments later.
    const started = bans + 1 + Math.floor(next() * PER_CYCLE);
    await daemon.waitFile(
      'actions.log',
      (l) => l.filter((x) => x.startsWith('start')).length >= started,
    );
    await sleep(next() * 300);
    await daemon.crash();
    bans = sb.lines('actions.log').filter((x) => x.startsWith('start')).length;
    // Down for a while: often past the due time of the unbans.
    await sleep(next() * 600);
  }
  await sb.started(cfg);
  await drained(sb);
  const lines = sb.lines('actions.log');
  t.diagnostic(
    `${lines.length} action lines, ${lines.filter((l) => l.startsWith('start')).length} bans`,
  );
  const matches = new Set(lines.map((l) => l.split(' ').slice(-2).join(' '))).size;
  const banned = notUnbanned(lines);
  assert.deepEqual(banned, [], `seed ${seed}: ${banned.length} of ${matches} matches end banned`);
});

test('flush while a ban runs: the unban starts once the ban has ended', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // The ban waits (2 s at most) for the unban to have run: it can only end early if the
  // unban ran while it was still running.
  sb.script(
    'ban-until-unban',
    [
      'echo "ban $2" >> "$1"',
      'i=0',
      'while ! grep -q "^unban $2$" "$1" && [ $i -lt 80 ]; do sleep 0.025; i=$((i + 1)); done',
      'echo "ban done $2" >> "$1"',
    ].join('\n'),
  );
  const daemon = await sb.started(
    sb.fifoConfig(
      {
        f: {
          regex: ['fail from <ip>'],
          actions: {
            ban: { cmd: [sb.path('ban-until-unban'), sb.path('actions.log'), '<ip>'] },
            unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
          },
        },
      },
      { concurrency: 4 },
    ),
  );
  input.write('fail from 192.0.2.1');
  await daemon.waitFile('actions.log', 1);
  const flushed = await sb.cli('flush', 'ip=192.0.2.1');
  assert.equal(flushed.code, 0, flushed.stderr);
  await daemon.waitFile('actions.log', (l) => l.includes('unban 192.0.2.1'));
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'ban done 192.0.2.1',
    'unban 192.0.2.1',
  ]);
});
