// Runs fail2ban's daemon on a file for bench/daemon.ts: fail2ban-server in the foreground with
// a temporary copy of bench/fail2ban/ (the seed's 4 regexes, retry 3, an action that does
// nothing) and a copy of the file as its log, polled with fail2ban-client until its
// "Total failed" stops growing. Sends the CPU seconds the server had used when it reached
// its final count, the time it took, and what it counted. The server is stopped after.

import { execFile, spawn } from 'node:child_process';
import { closeSync, copyFileSync, cpSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_SRC, cpuOf, remove, scratch, sleep } from './measure.js';

const JAIL = 'riposte-ssh';
const POLL_MS = 500;
/** Counts unchanged for this long mean the server has read the whole file. */
const SETTLED_MS = 3000;

export interface Fail2banRun {
  readonly failed: number;
  readonly banned: number;
  /** CPU seconds of the server (all its threads) when the final count was first seen. */
  readonly cpu: number;
  /** Seconds from spawn to that poll. */
  readonly wall: number;
  readonly timedOut: boolean;
}

interface Poll {
  readonly failed: number;
  readonly banned: number;
  readonly cpu: number;
  readonly at: number;
}

function prepare(file: string): { dir: string; socket: string } {
  const dir = scratch('fail2ban');
  cpSync(join(BENCH_SRC, 'fail2ban'), dir, { recursive: true });
  const log = join(dir, 'ssh.log');
  copyFileSync(file, log);
  const socket = join(dir, 'fail2ban.sock');
  writeFileSync(join(dir, 'jail.local'), `[${JAIL}]\nlogpath = ${log}\n`);
  writeFileSync(
    join(dir, 'fail2ban.local'),
    `[Definition]\nsocket = ${socket}\npidfile = ${join(dir, 'fail2ban.pid')}\n`,
  );
  return { dir, socket };
}

function status(client: string, socket: string): Promise<{ failed: number; banned: number }> {
  return new Promise((done) => {
    execFile(client, ['-s', socket, 'status', JAIL], (error, stdout) => {
      const failed = Number(/Total failed:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
      const banned = Number(/Total banned:\s*(\d+)/.exec(stdout)?.[1] ?? 0);
      done(error === null ? { failed, banned } : { failed: 0, banned: 0 });
    });
  });
}

async function pollUntilSettled(
  client: string,
  socket: string,
  o: { pid: number; start: number; expected: number; timeout: number },
): Promise<{ polls: Poll[]; timedOut: boolean }> {
  const polls: Poll[] = [];
  for (;;) {
    await sleep(POLL_MS);
    const at = performance.now();
    const counted = await status(client, socket);
    polls.push({ ...counted, cpu: cpuOf(o.pid), at });
    const last = polls[polls.length - 1]!;
    const first = polls.find((p) => p.failed === last.failed && p.banned === last.banned)!;
    const settled = last.failed > 0 && at - first.at >= SETTLED_MS;
    if (settled || (last.failed >= o.expected && at - first.at >= 2 * POLL_MS))
      return { polls, timedOut: false };
    if (at - o.start > o.timeout * 1000) return { polls, timedOut: true };
  }
}

/** One run of fail2ban-server over `file`, stopped when it has counted it all. */
export async function runFail2ban(
  tools: { server: string; client: string },
  o: { file: string; expected: number; timeout: number },
): Promise<Fail2banRun> {
  const { dir, socket } = prepare(o.file);
  const out = openSync(join(dir, 'server.log'), 'w');
  const start = performance.now();
  const server = spawn(tools.server, ['-c', dir, '-f', '-x'], { stdio: ['ignore', out, out] });
  const exited = new Promise((done) => server.once('close', done));
  try {
    const { polls, timedOut } = await pollUntilSettled(tools.client, socket, {
      pid: server.pid!,
      start,
      expected: o.expected,
      timeout: o.timeout,
    });
    const last = polls[polls.length - 1]!;
    const final = polls.find((p) => p.failed === last.failed && p.banned === last.banned)!;
    return {
      failed: final.failed,
      banned: final.banned,
      cpu: final.cpu,
      wall: (final.at - start) / 1000,
      timedOut,
    };
  } finally {
    server.kill('SIGTERM');
    const killer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    closeSync(out);
    remove(dir);
  }
}
