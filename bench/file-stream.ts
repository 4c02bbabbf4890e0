// What reading a log through a `type: file` stream costs, beside a `tail -F` command stream
// on the same lines: the daemon on an empty log file, then 1 M genlog lines appended at once
// (their syslog dates made today's, so that both count the same matches at their own time),
// until the stream has read them all. Figures: CPU of the whole tree (daemon, and tail for
// the command stream) per line, and the wall time, median of the rounds, variants alternating.
//
//   node dist/bench/file-stream.js [--lines 1000000] [--rounds 3]

import {
  appendFileSync,
  createReadStream,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { cpuOf, genlog, remove, scratch, spread } from './measure.js';
import { Daemon } from './riposte.js';
import { seedRegexes } from './seed.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The genlog file with every syslog date replaced by the current one (same length). */
async function today(source: string, dir: string): Promise<string> {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const path = join(dir, 'today.log');
  writeFileSync(path, '');
  let batch: string[] = [];
  for await (const line of createInterface({ input: createReadStream(source) })) {
    batch.push(stamp + line.slice(15));
    if (batch.length === 10_000) {
      appendFileSync(path, `${batch.join('\n')}\n`);
      batch = [];
    }
  }
  if (batch.length > 0) appendFileSync(path, `${batch.join('\n')}\n`);
  return path;
}

function config(dir: string, log: string, kind: 'file' | 'tail', regex: string[]): string {
  const stream =
    kind === 'file'
      ? { type: 'file', options: { path: log } }
      : { cmd: ['tail', '-F', '-n', '0', log] };
  const filter = {
    regex,
    retry: 3,
    retryperiod: '6h',
    actions: { ban: { type: 'virtual', options: { send: '<ip>', to: 'sink' } } },
  };
  const sink = {
    type: 'virtual',
    filters: { none: { regex: ['^never$'], actions: { none: { cmd: ['true'] } } } },
  };
  const path = join(dir, 'riposte.json');
  const body = {
    patterns: { ip: { type: 'ip' } },
    streams: { ssh: { ...stream, filters: { failedlogin: filter } }, sink },
    state_directory: dir,
  };
  writeFileSync(path, JSON.stringify(body));
  return path;
}

/** CPU seconds of a process and of its live children (tail), as /proc counts them. */
function treeCpu(pid: number): number {
  let children: string[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/);
  } catch {
    // Gone: its time is in its parent's reaped time.
  }
  return children.filter(Boolean).reduce((sum, child) => sum + treeCpu(Number(child)), cpuOf(pid));
}

async function round(kind: 'file' | 'tail', input: string, regex: string[]) {
  const dir = scratch(`file-stream-${kind}`);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  const daemon = new Daemon(config(dir, log, kind, regex), dir);
  const ready = await daemon.waitFor((s) => s.streams['ssh']?.state === 'running', { timeout: 30 });
  if (ready === undefined) throw new Error(`${kind}: the daemon did not start (log ${daemon.log})`);
  // The stream is running: tail (or the first poll of the file) is in place.
  await new Promise((done) => setTimeout(done, 500));
  const size = statSync(input).size;
  const cpu = treeCpu(daemon.pid);
  const start = performance.now();
  appendFileSync(log, readFileSync(input));
  const done = await daemon.waitFor((s) => (s.streams['ssh']?.bytes ?? 0) >= size, {
    timeout: 300,
    every: 20,
  });
  const wall = (performance.now() - start) / 1000;
  const used = treeCpu(daemon.pid) - cpu;
  await daemon.stop();
  remove(dir);
  if (done === undefined) throw new Error(`${kind}: not every line was read (log ${daemon.log})`);
  return { cpu: used, wall };
}

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
  },
});
const lines = Number(values.lines);
const rounds = Number(values.rounds);
const regex = await seedRegexes();
const work = scratch('file-stream-input');
mkdirSync(work, { recursive: true });
const input = await today(genlog(lines), work);
const runs: Record<'file' | 'tail', { cpu: number; wall: number }[]> = { file: [], tail: [] };
for (let i = 0; i < rounds; i++)
  for (const kind of ['tail', 'file'] as const) runs[kind].push(await round(kind, input, regex));
remove(work);
const figures = Object.fromEntries(
  (['tail', 'file'] as const).map((kind) => {
    const cpu = spread(runs[kind].map((r) => r.cpu));
    return [
      kind === 'tail' ? "command ['tail', '-F', …]" : 'type: file',
      {
        cpuSeconds: cpu,
        nsPerLine: Math.round((cpu.median / lines) * 1e9),
        wallSeconds: spread(runs[kind].map((r) => r.wall)),
      },
    ];
  }),
);
console.log(JSON.stringify({ lines, rounds, figures }, null, 2));
