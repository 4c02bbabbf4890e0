// Benchmark 5's loaded figures: daemons holding N counted matches, N pending actions, both, or
// neither (the reference the bytes per item are taken from), run side by side; and a flood of
// distinct addresses whose counts expire, RSS before, at the peak and after. Receives sizes;
// sends what /proc and `status` say of each daemon.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { remove, scratch, sleep } from './measure.js';
import { Daemon } from './riposte.js';

/** Quiet time before a figure is read: V8 gives back its garbage once allocation stops. */
export const SETTLE_MS = 40_000;
const MIB = 1024 * 1024;

export type Load = 'none' | 'counts' | 'pending' | 'both';

export interface Held {
  /** MiB, from /proc, once quiet. */
  readonly rss: number;
  /** MiB, VmHWM: the peak while loading. */
  readonly hwm: number;
  /** Bytes of the JavaScript heap in use once quiet (`status`). */
  readonly heap: number;
  /** Bytes V8 holds for its heap then, used or not (`heapTotal`). */
  readonly heapTotal: number;
  readonly reached: boolean;
  readonly killed: boolean;
}

const ip = (a: number, i: number) => `${a}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** A count line (10.x addresses, filter `count`) or a pending line (11.x, filter `ban`). */
function lineOf(kind: 'count' | 'ban', i: number): string {
  return kind === 'count'
    ? `sshd[1000]: Failed password for root from ${ip(10, i)} port 22 ssh2`
    : `sshd[1000]: Invalid user admin from ${ip(11, i)} port 22`;
}

/** Writes the lines of `load` for `n` addresses; returns the file's size in bytes. */
function writeLines(file: string, load: Load, n: number): number {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    if (load === 'counts' || load === 'both') lines.push(lineOf('count', i));
    if (load === 'pending' || load === 'both') lines.push(lineOf('ban', i));
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  writeFileSync(file, text);
  return Buffer.byteLength(text);
}

/** Two filters: `count` (retry 5: each address seen once stays a count) and `ban` (retry 1). */
function writeConfig(dir: string, shell: string, retryperiod: string): string {
  const path = join(dir, 'riposte.json');
  const config = {
    patterns: { ip: { type: 'ip' } },
    streams: {
      ssh: {
        cmd: ['sh', '-c', shell],
        filters: {
          count: {
            regex: ['Failed password for \\S+ from <ip> port'],
            retry: 5,
            retryperiod,
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

async function quietFigures(d: Daemon): Promise<Omit<Held, 'reached' | 'killed'>> {
  const memory = (await d.status())?.memory;
  const heap = memory?.heapUsed ?? Number.NaN;
  return { ...d.memory(), heap: heap * 1e6, heapTotal: (memory?.heapTotal ?? Number.NaN) * 1e6 };
}

/** One daemon holding `load` for `n` addresses, read once it has been quiet SETTLE_MS. */
async function holdOnce(load: Load, n: number): Promise<Held> {
  const dir = scratch(`memory-${load}`);
  try {
    const file = join(dir, 'load.log');
    writeLines(file, load, n);
    const d = new Daemon(writeConfig(dir, `cat '${file}'; exec sleep 100000`, '1h'), dir);
    const counts = load === 'counts' || load === 'both' ? n : 0;
    const pending = load === 'pending' || load === 'both' ? n : 0;
    const s = await d.waitFor((x) => x.matches >= counts && x.pending >= pending, {
      timeout: 900,
      every: 500,
    });
    await sleep(SETTLE_MS);
    const figures = await quietFigures(d);
    const { killed } = await d.stop();
    return { ...figures, reached: s !== undefined, killed };
  } finally {
    remove(dir);
  }
}

/** The four loads side by side, so that each item's cost is read against the same moment. */
export async function loadedOnce(n: number): Promise<Record<Load, Held>> {
  const [none, counts, pending, both] = await Promise.all(
    (['none', 'counts', 'pending', 'both'] as const).map((load) => holdOnce(load, n)),
  );
  return { none: none!, counts: counts!, pending: pending!, both: both! };
}

/** Bytes one item adds to RSS and to the heap: a load's figures against those of none. */
export function perItem(
  held: Held,
  none: Held,
  n: number,
): {
  rss: number;
  heap: number;
} {
  return { rss: ((held.rss - none.rss) * MIB) / n, heap: (held.heap - none.heap) / n };
}

export interface Flood {
  readonly before: number;
  readonly peak: number;
  readonly after: number;
  /** Bytes of heap in use before and after. */
  readonly heapBefore: number;
  readonly heapAfter: number;
  /** Bytes V8 holds for its heap after, used or not. */
  readonly heapTotalAfter: number;
  /** Seconds from the last line read to the last count gone. */
  readonly expiry: number;
  readonly ok: boolean;
  readonly killed: boolean;
}

/** The stream waits this long before the flood: the daemon is idle, as in the idle figure. */
const FLOOD_AFTER_S = 32;
const IDLE_AT_MS = 30_000;

/**
 * `n` distinct addresses seen once each (retry 5, retryperiod 1 min), after FLOOD_AFTER_S of
 * quiet; their counts expire at the sweep after a minute, and the RSS is read SETTLE_MS later.
 */
export async function floodOnce(n: number): Promise<Flood> {
  const dir = scratch('memory-flood');
  try {
    const file = join(dir, 'flood.log');
    const size = writeLines(file, 'counts', n);
    const shell = `sleep ${FLOOD_AFTER_S}; cat '${file}'; exec sleep 100000`;
    const d = new Daemon(writeConfig(dir, shell, '1m'), dir);
    await sleep(IDLE_AT_MS);
    const before = await quietFigures(d);
    const read = await d.waitFor((x) => (x.streams['ssh']?.bytes ?? 0) >= size, {
      timeout: 900,
      every: 1000,
    });
    const readAt = performance.now();
    const gone = await d.waitFor((x) => x.matches === 0, { timeout: 600, every: 2000 });
    const expiry = (performance.now() - readAt) / 1000;
    await sleep(SETTLE_MS);
    const after = await quietFigures(d);
    const { killed } = await d.stop();
    return {
      before: before.rss,
      peak: after.hwm,
      after: after.rss,
      heapBefore: before.heap,
      heapAfter: after.heap,
      heapTotalAfter: after.heapTotal,
      expiry,
      ok: read !== undefined && gone !== undefined,
      killed,
    };
  } finally {
    remove(dir);
  }
}
