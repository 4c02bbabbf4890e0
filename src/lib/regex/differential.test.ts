// Checks the dialect against a real Rust engine: ripgrep (`rg`) is built on Rust's `regex`
// crate. Regexes generated from the dialect's grammar and lines from a fixed seed are run
// through rg once per regex, and through riposte's V8 and RE2 paths; match or no match must
// agree for every pair, except for the constructs listed in SKIPPED with the reason.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { RegexError } from '../errors.js';
import { which } from '../which.js';
import type { RegexNode } from './ast.js';
import { compileEngine } from './engine.js';
import { parseRegex } from './parse.js';

const REGEXES = 150;
const LINES = 40;
const SEED = 0x5eed;

/**
 * What Debian's rg (13, on regex 1.7 and Unicode 14) cannot judge as today's crate does, or
 * what rg's search of a file changes: `source` tests the regex, `refusal` the reason riposte
 * refuses a regex rg takes, `rust` the reason rg refuses one riposte takes.
 */
interface Skip {
  readonly reason: string;
  readonly source?: RegExp;
  readonly refusal?: RegExp;
  readonly rust?: RegExp;
}

const SKIPPED: readonly Skip[] = [
  { reason: '(?<name>…) groups came with regex 1.9', source: /\(\?<[^=!]/ },
  { reason: '\\b{start} and kin came with regex 1.10', source: /\\b\{[a-z-]+\}/ },
  { reason: '\\< and \\> came with regex 1.10', source: /\\[<>]/ },
  { reason: 'escaping a character that needs none came with regex 1.8', source: /\\ / },
  { reason: 'regex 1.7 never finds $^, not even on an empty line', source: /\$\^/ },
  {
    reason: '\\p{sc} and \\p{lc} are categories since regex-syntax 0.7',
    source: /\\[pP]\{(sc|lc)\}/i,
  },
  { reason: 'rg searches a file, so \\A and \\z see its start and end', source: /\\[Az]/ },
  {
    reason: 'rg searches bytes, where (?-u) may match invalid UTF-8, which Rust strings refuse',
    refusal: /\(\?-u\)/,
  },
  {
    reason: 'riposte refuses on RE2 what RE2 cannot express, when a regex needs RE2',
    refusal: /cannot be expressed in RE2|above RE2's limit/,
  },
  { reason: "rg's compiled regexes have a size limit", rust: /exceeds size limit/ },
];

/** A small alphabet, so that random lines often match: ASCII, accents, Greek, CJK, astral, a mark. */
const ALPHABET = [
  ...'abxkKiI_é1 3-.!',
  ...['É', 'ß', 'ẞ', 'β', 'Σ', 'σ', 'ς', 'ǅ', 'ǆ', 'İ', 'ı', '中', '٣', '😀', '𝐀', 'ſ'],
  ...['\u212a', '\u0301', '\t', '\u00a0', '\u200d', '\u2028'],
];
const LITERALS = [
  ...'abxkKié1 -.β中٣σßǅ',
  ...['😀', '𝐀', 'ſ', 'İ', '\\.', '\\-', '\\ ', '\\t', '\\*', '\\[', '\\x{e9}', '\\u03B2', '\\x41'],
  '\\u{1F600}',
];
const CLASSES = [
  ...'\\d \\D \\w \\W \\s \\S . \\pL \\PL \\pN \\p{Greek} \\p{Lu} \\p{Ll} \\p{Lt} \\p{Nd}'.split(
    ' ',
  ),
  ...'\\p{Mn} \\p{Cased} \\p{Alphabetic} \\P{White_Space} \\p{Han} \\p{sc=Latin}'.split(' '),
  ...'\\p{Common} \\p{Inherited} \\p{gc=Mn} \\p{Sc} \\p{Emoji} [abé] [^a-z] [é-ü] [ß-ǅ]'.split(' '),
  ...'[[:alpha:]] [[:^digit:]_] [[:space:]] [[:punct:]] [[:word:]] [^\\s\\d] [^\\pL\\d]'.split(' '),
  ...'[\\w&&\\p{Greek}] [a-z--[aeiou]] [\\d~~[0-5]] [^\\P{L}] [\\p{Greek}--\\p{Ll}]'.split(' '),
  ...'(?i:[a-c]) (?i:[^k]) (?i:\\p{Lu}) [\\x{1F600}-\\x{1F64F}] [\\u0300-\\u036f]'.split(' '),
];
/** Rust's newer assertions, which rg predates, come less often: they are only skipped. */
const ASSERTIONS = '^ $ ^ $ \\b \\B \\b \\B \\A \\z \\b{start} \\< \\>'.split(' ');
const QUANTIFIERS = '? * + {2} {1,} {0,2} ?? *? +? {1,3}? {0} {3,}'.split(' ');
const GROUPS = '( (?: (?i: (?-i: (?s: (?U: (?x: (?-u: (?i-u: (?P<g> (?<g>'.split(' ');
const FLAGS = ['(?i)', '(?m)', '(?s)', '(?U)', '(?iu)'];

/** mulberry32: the same regexes and lines on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Generator {
  readonly #next: () => number;
  #names = 0;

  constructor(seed: number) {
    this.#next = random(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }

  regex(): string {
    this.#names = 0;
    return this.alternation(3);
  }

  line(): string {
    const length = Math.floor(this.#next() * 9);
    return Array.from({ length }, () => this.pick(ALPHABET)).join('');
  }

  private alternation(depth: number): string {
    const branches = [this.concat(depth)];
    while (this.#next() < 0.25) branches.push(this.concat(depth));
    return branches.join('|');
  }

  private concat(depth: number): string {
    const count = Math.floor(this.#next() * 4) + (depth === 3 ? 1 : 0);
    let text = '';
    for (let i = 0; i < count; i++) text += this.piece(depth);
    return text;
  }

  private piece(depth: number): string {
    const roll = this.#next();
    if (roll < 0.06) return this.pick(FLAGS);
    if (roll < 0.16) return this.pick(ASSERTIONS);
    const atom = this.atom(depth);
    return this.#next() < 0.3 ? atom + this.pick(QUANTIFIERS) : atom;
  }

  private atom(depth: number): string {
    const roll = this.#next();
    if (roll < 0.15 && depth > 0) {
      const open = this.pick(GROUPS).replace('g>', `g${this.#names++}>`);
      return `${open}${this.alternation(depth - 1)})`;
    }
    return roll < 0.55 ? this.pick(LITERALS) : this.pick(CLASSES);
  }
}

function parsed(regex: string): RegexNode | { readonly kind: 'refused'; readonly reason: string } {
  try {
    return parseRegex(regex);
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    return { kind: 'refused', reason: error.message };
  }
}

type Outcome =
  | { readonly kind: 'refused'; readonly reason: string }
  | {
      readonly kind: 'matches';
      readonly lines: ReadonlySet<number>;
    };

const execRg = promisify(execFile);

/** rg's verdict on every line of the file at once. */
async function ripgrep(regex: string, file: string): Promise<Outcome> {
  const args = ['--no-config', '-n', '-a', '--no-filename', '-e', regex, file];
  try {
    const { stdout } = await execRg('rg', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    const lines = stdout.split('\n').filter((l) => l !== '');
    return { kind: 'matches', lines: new Set(lines.map((l) => Number(l.split(':')[0]) - 1)) };
  } catch (error) {
    const failed = error as { code?: unknown; stderr?: string };
    if (failed.code === 1) return { kind: 'matches', lines: new Set() };
    if (failed.code === 2) return { kind: 'refused', reason: failed.stderr?.trim() ?? '' };
    throw error;
  }
}

/** f on every item, `width` at a time: rg mostly waits to be started. */
async function inParallel<T, R>(items: readonly T[], width: number, f: (item: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

function riposte(tree: RegexNode, engine: 'v8' | 're2', lines: readonly string[]): Outcome {
  let compiled: ReturnType<typeof compileEngine>;
  try {
    compiled = compileEngine(tree, { engine });
  } catch (error) {
    if (error instanceof RegexError) return { kind: 'refused', reason: error.message };
    throw error;
  }
  const found = new Set<number>();
  lines.forEach((line, i) => {
    if (compiled.exec(line) !== undefined) found.add(i);
  });
  return { kind: 'matches', lines: found };
}

function skipReason(regex: string, rust: Outcome, ours: Outcome): string | undefined {
  const refusal = ours.kind === 'refused' && rust.kind !== 'refused' ? ours.reason : undefined;
  const rustRefusal = rust.kind === 'refused' && ours.kind !== 'refused' ? rust.reason : undefined;
  const skip = SKIPPED.find(
    (s) =>
      s.source?.test(regex) === true ||
      (refusal !== undefined && s.refusal?.test(refusal) === true) ||
      (rustRefusal !== undefined && s.rust?.test(rustRefusal) === true),
  );
  return skip?.reason;
}

const rg = which('rg');

test('riposte matches as Rust does on generated regexes and lines, on both engines', {
  skip: rg === undefined ? 'ripgrep (rg) is not installed: no Rust engine to compare with' : false,
}, async (t) => {
  const generator = new Generator(SEED);
  const fixed = ['', ' ', 'a', 'é', 'β', '😀', '𝐀', '𝐀b', 'ab 12', 'x\u0301', 'K\u212a', '中文 ٣'];
  const lines = [...fixed, ...Array.from({ length: LINES - fixed.length }, () => generator.line())];
  const dir = mkdtempSync(join(tmpdir(), 'riposte-rg-'));
  const file = join(dir, 'lines.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const disagreements: string[] = [];
  const skipped = new Map<string, number>();
  let pairs = 0;
  try {
    const regexes = Array.from({ length: REGEXES }, () => generator.regex());
    const verdicts = await inParallel(regexes, 4, (regex) => ripgrep(regex, file));
    regexes.forEach((regex, n) => {
      const rust = verdicts[n]!;
      const tree = parsed(regex);
      for (const engine of ['v8', 're2'] as const) {
        const ours = 'reason' in tree ? tree : riposte(tree, engine, lines);
        const skip = skipReason(regex, rust, ours);
        if (skip !== undefined) {
          skipped.set(skip, (skipped.get(skip) ?? 0) + 1);
          continue;
        }
        pairs += lines.length;
        disagreements.push(...compare(regex, engine, rust, ours, lines));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.diagnostic(`${pairs} pairs compared; skipped: ${JSON.stringify(Object.fromEntries(skipped))}`);
  assert.deepEqual(disagreements.slice(0, 20), []);
});

function compare(
  regex: string,
  engine: string,
  rust: Outcome,
  ours: Outcome,
  lines: readonly string[],
): string[] {
  const where = `${JSON.stringify(regex)} on ${engine}`;
  if (rust.kind === 'refused' || ours.kind === 'refused') {
    if (rust.kind === ours.kind) return [];
    const reason =
      rust.kind === 'refused'
        ? `rg refuses it (${rust.reason.split('\n').pop()})`
        : `riposte refuses it (${(ours as { reason: string }).reason})`;
    return [`${where}: ${reason}`];
  }
  const found: string[] = [];
  lines.forEach((line, i) => {
    if (rust.lines.has(i) !== ours.lines.has(i)) {
      found.push(
        `${where}, line ${JSON.stringify(line)}: Rust ${rust.lines.has(i) ? 'matches' : 'does not match'}`,
      );
    }
  });
  return found;
}
