// Benchmark 5, memory: RSS of the daemon (from /proc, VmRSS) with the demo configuration
// (examples/demo, run from a copy so that its state stays out of the repository), 5 s after
// start and once idle (30 s after start: V8 gives back the garbage of start-up only once the
// process has been quiet for several seconds), and loaded with 100k counted matches (retry
// 5, 100k distinct addresses seen once each) and 100k pending actions (100k other addresses,
// retry 1, an action after 1h), 40 s after that state is reached, and at its peak.

import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { ROOT, remove, repeatWithin, scratch, sleep, spread } from './measure.js';
import { number, type Row } from './report.js';
import { Daemon } from './riposte.js';

const NAME = 'memory';
const EARLY_MS = 5000;
const IDLE_AFTER_MS = 30_000;
const SETTLE_MS = 40_000;

async function idleOnce(): Promise<{
  early: number;
  rss: number;
  bytes: number;
  killed: boolean;
}> {
  const dir = scratch('memory-idle');
  try {
    cpSync(join(ROOT, 'examples/demo'), join(dir, 'examples/demo'), { recursive: true });
    const d = new Daemon(join(dir, 'examples/demo/riposte.yml'), dir, { cwd: dir });
    await sleep(EARLY_MS);
    const early = d.memory().rss;
    await sleep(IDLE_AFTER_MS - EARLY_MS);
    const rss = d.memory().rss;
    const bytes = (await d.status())?.streams['ssh']?.bytes ?? Number.NaN;
    const { killed } = await d.stop();
    return { early, rss, bytes, killed };
  } finally {
    remove(dir);
  }
}

/** N lines that count (10.x addresses) and N that trigger a delayed action (11.x). */
function loadFile(dir: string, n: number): string {
  const ip = (a: number, i: number) => `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`sshd[1000]: Failed password for root from ${ip(10, i)} port 22 ssh2`);
    lines.push(`sshd[1000]: Invalid user admin from ${ip(11, i)} port 22`);
  }
  const file = join(dir, 'load.log');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function loadConfig(dir: string, file: string): string {
  const path = join(dir, 'riposte.json');
  const config = {
    patterns: { ip: { type: 'ip' } },
    streams: {
      ssh: {
        cmd: ['sh', '-c', `cat '${file}'; exec sleep 100000`],
        filters: {
          count: {
            regex: ['Failed password for \\S+ from <ip> port'],
            retry: 5,
            retryperiod: '1h',
            actions: { ban: { cmd: ['true', '<ip>'] } },
          },
          ban: {
            regex: ['Invalid user \\S+ from <ip> port'],
            actions: { unban: { cmd: ['true', '<ip>'], after: '1h' } },
          },
        },
      },
    },
    state_directory: dir,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function loadedOnce(
  n: number,
): Promise<{ rss: number; hwm: number; ok: boolean; killed: boolean }> {
  const dir = scratch('memory-load');
  try {
    const d = new Daemon(loadConfig(dir, loadFile(dir, n)), dir);
    const s = await d.waitFor((x) => x.matches >= n && x.pending >= n, {
      timeout: 900,
      every: 500,
    });
    // As for the idle figure: the state held once the garbage of loading it is given back.
    await sleep(SETTLE_MS);
    const { rss, hwm } = d.memory();
    const { killed } = await d.stop();
    return { rss, hwm, ok: s !== undefined, killed };
  } finally {
    remove(dir);
  }
}

function stopNote(runs: readonly { killed: boolean }[]): string {
  const killed = runs.filter((r) => r.killed).length;
  return killed === 0 ? '' : `; ${killed} run(s) did NOT stop on SIGTERM within 30 s`;
}

export async function memory(ctx: Context): Promise<Row[]> {
  const idle = await repeatWithin({ max: ctx.runs.long, budget: ctx.budget }, () => idleOnce());
  const earlyRss = spread(idle.map((x) => x.early));
  const idleRss = spread(idle.map((x) => x.rss));
  const n = ctx.quick ? 10_000 : 100_000;
  const loaded = await repeatWithin({ max: ctx.runs.long, budget: ctx.budget }, () =>
    loadedOnce(n),
  );
  const loadedRss = spread(loaded.map((x) => x.rss));
  return [
    {
      benchmark: NAME,
      tool: 'riposte, demo config, 5 s after start',
      metric: 'MB RSS',
      value: earlyRss,
      note: 'the garbage of start-up not yet given back; for information',
    },
    {
      benchmark: NAME,
      tool: 'riposte, demo config, idle',
      metric: 'MB RSS',
      value: idleRss,
      target: '≤ 60 MB',
      met: idleRss.median <= 60,
      note: `${IDLE_AFTER_MS / 1000} s after start; ${number(idle[0]!.bytes)} bytes read by then${stopNote(idle)}`,
    },
    {
      benchmark: NAME,
      tool: `riposte, ${number(n)} matches + ${number(n)} pending`,
      metric: 'MB RSS',
      value: loadedRss,
      ...(n >= 100_000 ? { target: '≤ 250 MB', met: loadedRss.median <= 250 } : {}),
      note: `${loaded.every((x) => x.ok) ? `state reached, then ${SETTLE_MS / 1000} s quiet` : 'state NOT reached in time'}; peak RSS (VmHWM) ${number(spread(loaded.map((x) => x.hwm)).median)} MB while loading${stopNote(loaded)}`,
    },
  ];
}
