// What every benchmark is given: the size of the run (full or --quick), the genlog input and
// the counts expected from it (bench/expected.py, independent of riposte's code), and where
// the reference tools are installed. Receives the command-line flags; sends a Context.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../src/lib/which.js';
import { BENCH_SRC, genlog } from './measure.js';

export interface Expected {
  readonly lines: number;
  /** Lines that one of the seed's 4 regexes matches (each counted once). */
  readonly failures: number;
  readonly hitsPerRegex: readonly number[];
  readonly linesMatchingSeveralRegexes: number;
  readonly kinds: Readonly<
    Record<string, { readonly lines: number; readonly regexes: Readonly<Record<string, number>> }>
  >;
  readonly addresses: number;
  readonly retry: number;
  /** Per address floor(failures / retry), summed. */
  readonly triggers: number;
}

export interface Tools {
  readonly fail2banRegex: string | undefined;
  readonly fail2banServer: string | undefined;
  readonly fail2banClient: string | undefined;
  readonly sshgParser: string | undefined;
}

export interface Context {
  readonly quick: boolean;
  /** The genlog file all comparisons read: 1 M lines, 100 k with --quick. */
  readonly input: string;
  readonly expected: Expected;
  readonly tools: Tools;
  /** How many times to repeat a run that takes about a second, and one that takes longer. */
  readonly runs: { readonly short: number; readonly long: number };
  /** Seconds one slow figure may take: runs stop before another would overrun it. */
  readonly budget: number;
}

const SSHG_PARSER = ['/usr/libexec/sshguard/sshg-parser', '/usr/lib/x86_64-linux-gnu/sshg-parser'];

export function makeContext(quick: boolean): Context {
  const input = genlog(quick ? 100_000 : 1_000_000);
  return {
    quick,
    input,
    expected: expectedOf(input, 3),
    tools: findTools(),
    runs: quick ? { short: 2, long: 1 } : { short: 5, long: 3 },
    budget: quick ? 30 : 120,
  };
}

/** bench/expected.py's counts for a file, cached beside it. */
export function expectedOf(file: string, retry: number): Expected {
  const cached = `${file}.expected-retry${retry}.json`;
  if (!existsSync(cached)) {
    const r = spawnSync('python3', [join(BENCH_SRC, 'expected.py'), file, String(retry)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) throw new Error(`expected.py failed: ${r.stderr}`);
    writeFileSync(cached, r.stdout);
  }
  return JSON.parse(readFileSync(cached, 'utf8')) as Expected;
}

function findTools(): Tools {
  return {
    fail2banRegex: which('fail2ban-regex'),
    fail2banServer: which('fail2ban-server'),
    fail2banClient: which('fail2ban-client'),
    sshgParser: SSHG_PARSER.find((p) => existsSync(p)),
  };
}
