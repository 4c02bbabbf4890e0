// The benchmark suite's entry point (`npm run bench`, or `npm run bench -- matching daemon`,
// `npm run bench -- --quick`): runs the benchmarks named (all by default), prints the
// machine, the versions and one table of figures, ratios and targets, and writes the same to
// bench/results/latest.json; a full run (or `--docs`) writes the table into docs/benchmarks.md.
// A target not met is reported, never a failure: the exit status is 0 unless the suite itself
// breaks. Not part of `npm test`.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { cluster } from './cluster.js';
import { type Context, makeContext } from './context.js';
import { daemon } from './daemon.js';
import { hostile } from './hostile.js';
import { install } from './install.js';
import { kernel } from './kernel.js';
import { latency } from './latency.js';
import { matching } from './matching.js';
import { BENCH_SRC, cleanRuns, ROOT, versionOf } from './measure.js';
import { memory } from './memory.js';
import { replayLibrary } from './replay-library.js';
import { markdown, type Row, table } from './report.js';
import { restart } from './restart.js';
import { steady } from './steady.js';
import { triggers } from './triggers.js';

const BENCHMARKS: Readonly<Record<string, (ctx: Context) => Promise<Row[]>>> = {
  matching,
  steady,
  daemon,
  latency,
  triggers,
  restart,
  memory,
  hostile,
  'replay-library': replayLibrary,
  cluster,
  kernel,
  install,
};

interface Machine {
  readonly [key: string]: string;
}

function git(args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
  } catch {
    return 'unknown';
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function machine(ctx: Context): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const diff = git(['diff', 'HEAD']);
  const dirty = diff === '' ? '' : ` + uncommitted changes (diff sha1 ${sha1(diff).slice(0, 10)})`;
  return {
    cpu: `${model}, ${cpus().length} cores`,
    ram: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    riposte: `${git(['rev-parse', '--short', 'HEAD'])}${dirty}`,
    fail2ban: versionOf(['fail2ban-server', '--version']),
    sshguard: versionOf(['dpkg-query', '-W', 'sshguard']).replace(/\s+/, ' '),
    grep: versionOf(['grep', '--version']),
    input: `${ctx.input} (${ctx.expected.lines.toLocaleString('en-US')} lines, ${ctx.expected.failures.toLocaleString('en-US')} failures from ${ctx.expected.addresses.toLocaleString('en-US')} addresses)`,
    kinds: kindsOf(ctx),
    mode: ctx.quick ? 'quick (small inputs, few runs: for development only)' : 'full',
  };
}

/** How the seed's regexes fall on genlog's failure kinds (bench/expected.py). */
function kindsOf(ctx: Context): string {
  const e = ctx.expected;
  const kinds = Object.entries(e.kinds).map(([kind, k]) => {
    const by = Object.entries(k.regexes).map(
      ([r, n]) => `regex ${r}: ${n.toLocaleString('en-US')}`,
    );
    return `"${kind}" → ${by.join(', ')}`;
  });
  return `${kinds.join('; ')}; lines matching several regexes: ${e.linesMatchingSeveralRegexes} (a line counts once)`;
}

function parseArgs(argv: readonly string[]): { quick: boolean; names: string[] } {
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
    );
    process.exit(2);
  }
  return { quick, names: names.length > 0 ? names : Object.keys(BENCHMARKS) };
}

async function main(): Promise<void> {
  const { quick, names } = parseArgs(process.argv.slice(2));
  const ctx = makeContext(quick);
  const about = machine(ctx);
  for (const [key, value] of Object.entries(about)) console.log(`${key.padEnd(9)} ${value}`);
  const rows: Row[] = [];
  const started = performance.now();
  for (const name of names) {
    process.stderr.write(`running ${name}…\n`);
    const t = performance.now();
    rows.push(...(await BENCHMARKS[name]!(ctx)));
    process.stderr.write(`  ${name}: ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
  cleanRuns();
  const seconds = (performance.now() - started) / 1000;
  console.log(`\n${table(rows)}\n\nsuite time: ${seconds.toFixed(0)} s`);
  const dir = join(BENCH_SRC, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(file, `${JSON.stringify({ machine: about, seconds, rows }, null, 2)}\n`);
  console.log(`results: ${file}`);
  const all = names.length === Object.keys(BENCHMARKS).length;
  if (!quick && (all || process.argv.includes('--docs'))) writeDocs(about, seconds, names, rows);
}

const DOCS = join(ROOT, 'docs/benchmarks.md');
const START = '<!-- generated by npm run bench: start -->';
const END = '<!-- generated by npm run bench: end -->';

/**
 * A full run, or one with --docs, replaces the generated part of docs/benchmarks.md: the
 * machine, the benchmarks run and the table.
 */
function writeDocs(
  about: Machine,
  seconds: number,
  names: readonly string[],
  rows: readonly Row[],
): void {
  const text = readFileSync(DOCS, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) {
    console.log(`${DOCS} has no generated part (${START} … ${END}): left as it is`);
    return;
  }
  const machineRows = Object.entries(about).map(
    ([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`,
  );
  const part = [
    START,
    '',
    `Run of ${new Date().toISOString().slice(0, 10)} (\`npm run bench\`${names.length === Object.keys(BENCHMARKS).length ? '' : ` of ${names.join(', ')}`}), ${seconds.toFixed(0)} s.`,
    '',
    '| | |',
    '|---|---|',
    ...machineRows,
    '',
    markdown(rows),
    '',
  ].join('\n');
  writeFileSync(DOCS, text.slice(0, from) + part + text.slice(to));
  console.log(`docs: ${DOCS} (the generated part)`);
}

await main();
