// Owns a benchmark of V8 against RE2 on hostile lines, to choose where riposte switches engines.
// Receives nothing: run `node dist/src/lib/regex/measure.js` after `npx tsc`.
// Sends a table on stdout: one row per regex and line size, with worstCase()'s verdict.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { capture, type RegexNode } from './ast.js';
import { worstCase } from './cost.js';
import { toJavaScript, toRe2 } from './emit.js';
import { parseRegex } from './parse.js';
import { compileRe2 } from './re2.js';

interface Case {
  readonly regex: string;
  /** One period of the hostile line, repeated up to the size measured. */
  readonly unit: string;
  readonly prefix?: string;
}

const IP = '(?:[0-9]{1,3}\\.){3}[0-9]{1,3}';
const CASES: readonly Case[] = [
  { regex: 'authentication failure;.*rhost=<ip>', unit: 'authentication failure;rhost=1.2.3 ' },
  { regex: 'Failed password for .* from <ip>', unit: 'Failed password for x from 1.2.3 ' },
  { regex: 'Invalid user .* from <ip>', unit: 'Invalid user x from 1.2.3 ' },
  {
    regex: 'banner exchange: Connection from <ip> port [0-9]*: invalid format',
    prefix: 'banner exchange: Connection from 1.2.3.4 port ',
    unit: '1234567890',
  },
  {
    regex: 'Failed password for \\S+ from <ip>',
    prefix: 'Failed password for ',
    unit: 'xxxxxxxxxx',
  },
  {
    regex: '^Failed password for \\S+ from <ip>$',
    prefix: 'Failed password for ',
    unit: 'xxxxxxxxxx',
  },
  { regex: '.* from <ip>', unit: ' from 1.2.3' },
  { regex: '^.* from <ip>', unit: ' from 1.2.3' },
  { regex: '.* from .* port <ip>', unit: ' from x port 1.2.3' },
  { regex: '^(\\w+\\s?)+$', unit: 'aaaaaaaaa ', prefix: '' },
];
const SIZES_KIB = [1, 2, 4, 8, 16, 64];
/** Ordinary lines, to compare the engines where neither is in danger. */
const TYPICAL: readonly (readonly [regex: string, line: string])[] = [
  [
    'authentication failure;.*rhost=<ip>',
    'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root',
  ],
  [
    'Failed password for .* from <ip>',
    'Failed password for invalid user admin from 203.0.113.7 port 52044 ssh2',
  ],
  ['Invalid user .* from <ip>', 'Invalid user admin from 203.0.113.7 port 52044'],
  [
    'banner exchange: Connection from <ip> port [0-9]*: invalid format',
    'banner exchange: Connection from 203.0.113.7 port 52044: invalid format',
  ],
];
const TIMEOUT_MS = 3000;

function substitute(node: RegexNode, ip: RegexNode): RegexNode {
  switch (node.type) {
    case 'patternRef':
      return ip;
    case 'group':
    case 'capture':
    case 'repeat':
    case 'look':
      return { ...node, body: substitute(node.body, ip) };
    case 'concat':
      return { ...node, items: node.items.map((item) => substitute(item, ip)) };
    case 'alternation':
      return { ...node, alternatives: node.alternatives.map((item) => substitute(item, ip)) };
    default:
      return node;
  }
}

function hostileLine(c: Case, bytes: number): string {
  const prefix = c.prefix ?? '';
  const body = c.unit.repeat(Math.ceil((bytes - prefix.length) / c.unit.length));
  // A final "!" defeats the "$" of anchored cases and any match at the very end.
  return `${prefix}${body}`.slice(0, bytes - 1) + '!';
}

/** Milliseconds per run: repeats fast runs for a stable figure, runs slow ones once. */
function time(run: () => unknown): number {
  let runs = 0;
  const start = performance.now();
  do {
    run();
    runs++;
  } while (performance.now() - start < 50 && runs < 1000);
  return (performance.now() - start) / runs;
}

/** V8 cannot be interrupted, so a worker runs it and is terminated past the time limit. */
function timeV8(source: string, flags: string, line: string): Promise<number | null> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { source, flags, line } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(null);
    }, TIMEOUT_MS);
    worker.once('message', (ms: number) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(ms);
    });
  });
}

function timeRe2(source: string, flags: string, line: string): number {
  const re = compileRe2(source, flags);
  return time(() => re.exec(line));
}

function cell(ms: number | null): string {
  if (ms === null) return `>${TIMEOUT_MS / 1000}s`.padStart(9);
  return (ms < 1 ? ms.toFixed(3) : ms.toFixed(1)).padStart(9);
}

function compileBoth(regex: string, ip: RegexNode) {
  const node = substitute(parseRegex(regex, { patternNames: new Set(['ip']) }), ip);
  const js = toJavaScript(node);
  const re2 = toRe2(node);
  return { node, v8: new RegExp(js.source, js.flags), re2: compileRe2(re2.source, re2.flags) };
}

function typical(ip: RegexNode): void {
  console.log(
    `\n${'typical line (matching), microseconds per exec'.padEnd(85)} ${'V8 µs'.padStart(9)} ${'RE2 µs'.padStart(9)}`,
  );
  for (const [regex, line] of TYPICAL) {
    const { v8, re2 } = compileBoth(regex, ip);
    const micro = (ms: number) => (ms * 1000).toFixed(2).padStart(9);
    console.log(
      `${regex.padEnd(85)} ${micro(time(() => v8.exec(line)))} ${micro(time(() => re2.exec(line)))}`,
    );
  }
}

async function main(): Promise<void> {
  const ip = capture('ip', parseRegex(IP));
  console.log(
    `${'regex'.padEnd(66)} ${'verdict'.padEnd(14)} KiB ${'V8 ms'.padStart(9)} ${'RE2 ms'.padStart(9)}`,
  );
  for (const c of CASES) {
    const node = substitute(parseRegex(c.regex, { patternNames: new Set(['ip']) }), ip);
    const cost = worstCase(node);
    const verdict = cost.kind === 'exponential' ? 'exponential' : `${cost.kind} n^${cost.degree}`;
    const js = toJavaScript(node);
    const re2 = toRe2(node);
    let timedOut = false;
    for (const kib of SIZES_KIB) {
      const line = hostileLine(c, kib * 1024);
      const v8: number | null = timedOut ? null : await timeV8(js.source, js.flags, line);
      timedOut ||= v8 === null;
      const label = kib === SIZES_KIB[0] ? c.regex : '';
      const row = `${label.padEnd(66)} ${(kib === 1 ? verdict : '').padEnd(14)} ${String(kib).padStart(3)}`;
      console.log(`${row} ${cell(v8)} ${cell(timeRe2(re2.source, re2.flags, line))}`);
    }
  }
  typical(ip);
}

if (isMainThread) {
  await main();
} else {
  const { source, flags, line } = workerData as { source: string; flags: string; line: string };
  const re = new RegExp(source, flags);
  parentPort?.postMessage(time(() => re.exec(line)));
}
