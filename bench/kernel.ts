// Benchmark: bans into the kernel. 100,000 seeded random addresses (half IPv4, half IPv6) fed
// as sshd failure lines to a daemon with retry 1 and the built-in `nftables` (then `ipset`)
// type, in a network namespace of its own, in 10 steps of 10,000 lines (each once the one
// before is in the set): bans/s, the last step against the first, the restore at start-up
// into empty sets, the unban of them all; `nft -f` and `ipset restore` of the same addresses
// as references. Sends rows; as root only.

import { writeFileSync } from 'node:fs';
import { request as http } from 'node:http';
import { join } from 'node:path';
import { request } from '../src/client/request.js';
import type { Context } from './context.js';
import { type Kind, kernelMembers, Netns, randomAddresses } from './kernel-ns.js';
import {
  type KindRuns,
  type Point,
  references,
  rowsOf,
  type Run,
  virtualRow,
} from './kernel-rows.js';
import { remove, repeatWithin, scratch, sleep } from './measure.js';
import type { Row } from './report.js';
import { Daemon } from './riposte.js';
import { seedRegexes } from './seed.js';

const POLL_MS = 20;
const TIMEOUT_S = 600;
/** The lines go in this many steps, so that the cost of the last can be set against the first. */
const STEPS = 10;

interface Setup {
  readonly dir: string;
  readonly regex: readonly string[];
  /** The files of the steps' lines, in order. */
  readonly parts: readonly string[];
  readonly addresses: readonly string[];
}

/** The sshd failure lines of the addresses, a file per step. */
function writeParts(dir: string, addresses: readonly string[]): string[] {
  const line = (ip: string) =>
    `Nov  1 00:00:00 host sshd[1000]: Failed password for root from ${ip} port 22 ssh2\n`;
  const size = Math.ceil(addresses.length / STEPS);
  return Array.from({ length: STEPS }, (_, i) => {
    const file = join(dir, `failures-${i}.log`);
    writeFileSync(
      file,
      addresses
        .slice(i * size, (i + 1) * size)
        .map(line)
        .join(''),
    );
    return file;
  });
}

/** The file whose creation lets the stream print the lines of step `i`. */
function go(s: Setup, i: number): string {
  return join(s.dir, `go-${i}`);
}

/** The daemon's configuration: the stream prints each step's lines once told (or prints none). */
function configFile(s: Setup, kind: Kind | 'virtual', feed: boolean): string {
  const steps = s.parts.map(
    (part, i) => `while [ ! -e '${go(s, i)}' ]; do sleep 0.01; done; cat '${part}'`,
  );
  const cmd = feed ? ['sh', '-c', `${steps.join('; ')}; exec sleep 1000000`] : ['sleep', '1000000'];
  const actions =
    kind === 'virtual'
      ? { ban: { type: 'virtual', options: { send: '<ip>', to: 'sink' } } }
      : {
          ban: { type: kind, options: { set: 'bans' } },
          unban: { type: kind, options: { set: 'bans', action: 'delete' }, after: '48h' },
        };
  const sink = {
    type: 'virtual',
    filters: { none: { regex: ['^never$'], actions: { none: { cmd: ['true'] } } } },
  };
  const config = {
    patterns: { ip: { type: 'ip' } },
    streams: {
      ssh: { cmd, filters: { failedlogin: { regex: s.regex, retry: 1, actions } } },
      ...(kind === 'virtual' ? { sink } : {}),
    },
    metrics: { listen: join(s.dir, 'metrics.sock') },
    state_directory: join(s.dir, 'state'),
  };
  const path = join(s.dir, `riposte-${kind}-${feed ? 'feed' : 'quiet'}.json`);
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/** The addresses in the daemon's kernel sets, summed from its metrics gauge. */
function inSets(socketPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http({ socketPath, path: '/metrics' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (t: string) => {
        text += t;
      });
      res.on('end', () => {
        const gauge = [...text.matchAll(/^riposte_kernel_set_addresses\{[^}]*\} (\d+)$/gm)];
        resolve(gauge.length === 0 ? -1 : gauge.reduce((n, m) => n + Number(m[1]), 0));
      });
    });
    req.on('error', () => resolve(-1));
    req.end();
  });
}

/** Polls `count` every POLL_MS until `done`, from `start`; the points seen (NaN t: timed out). */
async function timeline(
  start: number,
  count: () => Promise<number>,
  done: (n: number) => boolean,
): Promise<Point[]> {
  const points: Point[] = [];
  for (;;) {
    const n = await count();
    const t = (performance.now() - start) / 1000;
    points.push({ t, n });
    if (n >= 0 && done(n)) return points;
    if (t > TIMEOUT_S) return [...points, { t: Number.NaN, n }];
    await sleep(POLL_MS);
  }
}

async function ready(d: Daemon): Promise<void> {
  if ((await d.waitFor(() => true, { timeout: 60, every: 10 })) === undefined)
    throw new Error(`kernel: the daemon did not answer; see ${d.log}`);
}

/** Seconds of each step, from letting its lines out to `count` reaching its last address. */
async function feed(s: Setup, count: () => Promise<number>): Promise<number[]> {
  const seconds: number[] = [];
  const size = Math.ceil(s.addresses.length / STEPS);
  for (let i = 0; i < STEPS; i++) {
    const start = performance.now();
    writeFileSync(go(s, i), '');
    const want = Math.min(s.addresses.length, (i + 1) * size);
    const points = await timeline(start, count, (x) => x >= want);
    seconds.push(points[points.length - 1]!.t);
  }
  return seconds;
}

/** A clean start: no state, no step let out yet. */
function reset(s: Setup): void {
  remove(join(s.dir, 'state'));
  for (let i = 0; i < STEPS; i++) remove(go(s, i));
}

/** Bans, verified in the kernel; restore after a restart, verified; unban of all, verified. */
async function runOnce(s: Setup, kind: Kind, i: number): Promise<Run> {
  const ns = Netns.create(`${kind}-${i}`);
  if (ns === undefined) throw new Error('kernel: ip netns add failed');
  const metrics = join(s.dir, 'metrics.sock');
  const n = s.addresses.length;
  reset(s);
  try {
    let d = new Daemon(configFile(s, kind, true), s.dir, { netns: ns.name });
    await ready(d);
    const bans = await feed(s, () => inSets(metrics));
    const banned = await kernelMembers(ns, kind);
    await d.stop();
    const afterStop = (await kernelMembers(ns, kind)).length;
    d = new Daemon(configFile(s, kind, false), s.dir, { netns: ns.name });
    const restore = await timeline(
      d.started,
      () => inSets(metrics),
      (x) => x >= n,
    );
    const restored = await kernelMembers(ns, kind);
    const flushed = performance.now();
    const flush = request(d.socket, { v: 1, type: 'flush', selectors: [] });
    const unban = await timeline(
      flushed,
      () => inSets(metrics),
      (x) => x === 0,
    );
    await flush;
    const left = (await kernelMembers(ns, kind)).length;
    await d.stop();
    return { bans, banned, afterStop, restore, restored, unban, left };
  } finally {
    ns.remove();
  }
}

/** The pipeline's own ceiling: the same steps with a virtual action, to each step's last send. */
async function virtualOnce(s: Setup): Promise<number[]> {
  reset(s);
  const d = new Daemon(configFile(s, 'virtual', true), s.dir);
  try {
    await ready(d);
    return await feed(s, async () => (await d.status())?.actions.byType.virtual ?? -1);
  } finally {
    await d.stop();
  }
}

function needsRoot(why: string): Row[] {
  const row = (tool: string): Row => ({
    benchmark: 'kernel',
    tool,
    metric: '',
    value: { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 },
    note: `needs root: ${why}`,
  });
  return [row('riposte, nftables'), row('riposte, ipset')];
}

export async function kernel(ctx: Context): Promise<Row[]> {
  if (process.getuid?.() !== 0) return needsRoot('not running as root');
  const probe = Netns.create('probe');
  if (probe === undefined) return needsRoot('ip netns add failed');
  probe.remove();
  const dir = scratch('kernel');
  try {
    const addresses = randomAddresses(ctx.quick ? 20_000 : 100_000);
    const s: Setup = {
      dir,
      regex: await seedRegexes(),
      parts: writeParts(dir, addresses),
      addresses,
    };
    const runs = { max: ctx.runs.long, budget: ctx.budget };
    const rows: Row[] = [
      virtualRow(await repeatWithin(runs, () => virtualOnce(s)), addresses.length),
    ];
    for (const kind of ['nftables', 'ipset'] as const) {
      const measured: KindRuns = {
        kind,
        addresses,
        runs: await repeatWithin(runs, (i) => runOnce(s, kind, i)),
        references: references(kind, addresses, ctx.runs.short),
      };
      rows.push(...rowsOf(measured));
    }
    return rows;
  } finally {
    remove(dir);
  }
}
