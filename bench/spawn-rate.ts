// Measures how many actions per second riposte can start: `true` run N times at a fixed
// concurrency, by Node's child_process.spawn (as src/daemon/executor.ts does it) and by the
// native helper (src/daemon/spawner.ts). Receives sizes, concurrencies, runs and an optional
// heap ballast on the command line; sends a table of medians to stdout.
//
//   node dist/bench/spawn-rate.js [--sizes 1000,20000] [--concurrency 2,8,32] [--runs 3]
//                                 [--ballast 200]   (MiB kept alive, to mimic a larger daemon)

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Spawner } from '../src/daemon/spawner.js';

type Method = 'node' | 'spawner';

interface Sample {
  readonly rate: number;
  /** CPU of this Node process per spawn, microseconds. */
  readonly nodeCpu: number;
  /** CPU of the helper per spawn, microseconds (0 for the node method). */
  readonly helperCpu: number;
}

type Starter = (done: (failed: boolean) => void) => void;

/** /proc times are in clock ticks: USER_HZ, 100 on Linux. */
const TICK_US = 1e6 / 100;

function nodeStarter(): Starter {
  return (done) => {
    const child = spawn('true', [], { stdio: ['ignore', 'inherit', 'pipe'], detached: true });
    child.stderr?.on('data', () => {});
    child.once('error', () => done(true));
    child.once('close', (code) => done(code !== 0));
  };
}

function spawnerStarter(spawner: Spawner): Starter {
  return (done) => {
    spawner.run(['true'], (result) => done(result.status !== 0));
  };
}

/** Starts `total` actions keeping `concurrency` in flight; resolves with the seconds taken. */
function drive(start: Starter, total: number, concurrency: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    let started = 0;
    let finished = 0;
    const done = (failed: boolean): void => {
      if (failed) reject(new Error('cannot run `true`: it failed'));
      finished++;
      if (finished === total) resolve(Number(process.hrtime.bigint() - began) / 1e9);
      else if (started < total) next();
    };
    const next = (): void => {
      started++;
      start(done);
    };
    while (started < Math.min(concurrency, total)) next();
  });
}

/** utime + stime of a process, in microseconds, from /proc. */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

async function sample(
  method: Method,
  spawner: Spawner,
  options: { total: number; concurrency: number },
): Promise<Sample> {
  const start = method === 'node' ? nodeStarter() : spawnerStarter(spawner);
  const cpu = process.cpuUsage();
  const helper = method === 'spawner' ? processCpu(spawner.pid) : 0;
  const { total, concurrency } = options;
  const seconds = await drive(start, total, concurrency);
  const used = process.cpuUsage(cpu);
  const helperUsed = method === 'spawner' ? processCpu(spawner.pid) - helper : 0;
  return {
    rate: total / seconds,
    nodeCpu: (used.user + used.system) / total,
    helperCpu: helperUsed / total,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function row(method: Method, total: number, c: number, samples: readonly Sample[]): string {
  const rate = median(samples.map((s) => s.rate));
  const runs = samples.map((s) => s.rate.toFixed(0)).join(' ');
  const nodeCpu = median(samples.map((s) => s.nodeCpu));
  const helperCpu = median(samples.map((s) => s.helperCpu));
  return [
    method.padEnd(8),
    String(total).padStart(6),
    String(c).padStart(4),
    rate.toFixed(0).padStart(8),
    (1e6 / rate).toFixed(0).padStart(7),
    nodeCpu.toFixed(0).padStart(9),
    helperCpu.toFixed(0).padStart(10),
    `  [${runs}]`,
  ].join(' ');
}

function options(): { sizes: number[]; concurrencies: number[]; runs: number; ballast: number } {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,20000' },
      concurrency: { type: 'string', default: '2,8,32' },
      runs: { type: 'string', default: '3' },
      ballast: { type: 'string', default: '0' },
    },
  });
  const list = (text: string): number[] => text.split(',').map(Number);
  return {
    sizes: list(values.sizes),
    concurrencies: list(values.concurrency),
    runs: Number(values.runs),
    ballast: Number(values.ballast),
  };
}

/** Touched memory, so that fork() has as many pages to copy as a daemon of that size. */
function makeBallast(mib: number): Buffer[] {
  return Array.from({ length: mib }, () => Buffer.alloc(1 << 20, 1));
}

async function main(): Promise<void> {
  const o = options();
  const ballast = makeBallast(o.ballast);
  const spawner = Spawner.start();
  if (spawner === undefined) throw new Error('cannot find build/riposte-spawner: build it first');
  const rss = (process.memoryUsage().rss / 2 ** 20).toFixed(0);
  console.log(`spawns of \`true\`, median of ${o.runs} runs; this process's RSS ${rss} MiB`);
  console.log('method        N    c  spawns/s  us/spawn  node cpu  helper cpu  (us/spawn; runs)');
  for (const total of o.sizes) {
    for (const c of o.concurrencies) {
      const samples: Record<Method, Sample[]> = { node: [], spawner: [] };
      for (let run = 0; run < o.runs; run++) {
        for (const method of ['node', 'spawner'] as const) {
          samples[method].push(await sample(method, spawner, { total, concurrency: c }));
        }
      }
      console.log(row('node', total, c, samples.node));
      console.log(row('spawner', total, c, samples.spawner));
    }
  }
  await spawner.close();
  ballast.length = 0;
}

await main();
