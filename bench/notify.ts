// Measures what one systemd notification (a watchdog keep-alive) costs riposte: sent through
// the native helper (src/daemon/spawner.ts, as src/daemon/notify.ts does it) and through a
// `systemd-notify` process (its fallback), to a unix datagram socket bound by a Python child.
// Receives the number of messages on the command line; sends wall-clock and CPU of this
// process per message to stdout.
//
//   node dist/bench/notify.js [--messages 500]

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Spawner } from '../src/daemon/spawner.js';

const RECEIVER = [
  'import socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  's.bind(sys.argv[1])',
  'print("ready", flush=True)',
  'while True:',
  '    s.recv(65536)',
].join('\n');

type Send = () => Promise<void>;

async function measure(what: string, send: Send, count: number): Promise<void> {
  const cpu = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < count; i++) await send();
  const wall = (performance.now() - began) / count;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / count;
  console.log(
    `${what}: ${wall.toFixed(3)} ms wall-clock, ${cpuMs.toFixed(3)} ms of this process's CPU per message (${count} messages)`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { messages: { type: 'string', default: '500' } } });
  const count = Number(values.messages);
  const dir = mkdtempSync(join(tmpdir(), 'riposte-notify-'));
  const address = join(dir, 'notify.sock');
  const receiver = spawn('python3', ['-c', RECEIVER, address], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((ready) => receiver.stdout.once('data', ready));
    const helper = Spawner.start();
    if (helper === undefined) throw new Error('build/riposte-spawner is not built: npm install');
    const fail = (error: string | undefined) => {
      if (error !== undefined) throw new Error(error);
    };
    await measure(
      'native helper',
      () => new Promise((sent) => helper.notify(address, 'WATCHDOG=1', (e) => sent(fail(e)))),
      count,
    );
    await helper.close();
    const env = { ...process.env, NOTIFY_SOCKET: address };
    const viaProgram = () =>
      new Promise<void>((sent, failed) =>
        execFile('systemd-notify', ['WATCHDOG=1'], { env }, (error) =>
          error === null ? sent() : failed(error),
        ),
      );
    await measure('systemd-notify', viaProgram, Math.max(1, Math.floor(count / 10)));
  } finally {
    receiver.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
