// fail2ban's annotated sample logs, read at test time from ../shared/corpus (their licence
// keeps them out of this repository): which line each filter mode must match, with which
// address. Receives a sample file's name; sends its log lines with the expectation of each
// fail2ban option set (`filterOptions`, `failJSON` constraints, `addFILE` followed) and the
// time the annotation gives.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../daemon/harness.js';

export const CORPUS_DIR = join(ROOT, '../shared/corpus/fail2ban-samples');

/** Why the corpus tests do not run, or undefined when the corpus is there. */
export function corpusMissing(): string | undefined {
  return existsSync(CORPUS_DIR) ? undefined : `the corpus is absent (${CORPUS_DIR})`;
}

export type Options = Readonly<Record<string, unknown>>;

export interface SampleLine {
  /** `sshd:42`: the sample file and line number. */
  readonly where: string;
  readonly text: string;
  /** The annotation's `time` (local time, `2005-02-25T14:34:10`), when it gives one. */
  readonly time: string | undefined;
  /** One expectation per fail2ban option set the line is tested under. */
  readonly expected: readonly { readonly options: Options; readonly host: string | undefined }[];
}

const FAIL_JSON = /^#\s*failJSON:\s*(\{.*\})\s*$/;
const OPTIONS = /^#.*?\b(filterOptions|fileOptions):\s*(.+?)\s*$/;
const ADD_FILE = /^#\s*addFILE:\s*"([^"]+)"\s*$/;

/**
 * The log lines of sample file `name` (and of the files it adds) as fail2ban's tests read
 * them for filter `filter`: a line is tested under each option set in force, with the
 * annotation above it, which must hold for that set (`constraint`, `test.condition`); a line
 * with no annotation must not match.
 */
export function readSamples(name: string, filter = name): SampleLine[] {
  const lines: SampleLine[] = [];
  let fileOptions: Options = {};
  let sets: Options[] = [{}];
  let pending: Record<string, unknown> | undefined;
  const text = readFileSync(join(CORPUS_DIR, name), 'utf8');
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    const annotation = FAIL_JSON.exec(line);
    const options = OPTIONS.exec(line);
    const added = ADD_FILE.exec(line);
    if (annotation !== null) pending = JSON.parse(annotation[1]!) as Record<string, unknown>;
    else if (options?.[1] === 'fileOptions') fileOptions = JSON.parse(options[2]!) as Options;
    else if (options !== null) sets = optionSets(options[2]!);
    else if (added !== null) lines.push(...readSamples(added[1]!, filter));
    else if (line.trim() !== '' && !line.startsWith('#')) {
      const all = sets.map((set) => ({ ...fileOptions, ...set }));
      lines.push(sampleLine(`${name}:${i + 1}`, line, all, pending ?? {}, filter));
      pending = undefined;
    }
  }
  return lines;
}

function optionSets(json: string): Options[] {
  const parsed = JSON.parse(json) as Options | Options[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

function sampleLine(
  where: string,
  line: string,
  sets: readonly Options[],
  annotation: Record<string, unknown>,
  filter: string,
): SampleLine {
  const expected = sets
    .filter((options) => holds(options['test.condition'], options, filter))
    .filter((options) => holds(annotation['constraint'], options, filter))
    .map((options) => ({
      options,
      host: annotation['match'] === true ? hostOf(annotation) : undefined,
    }));
  const prefix = sets.find((o) => typeof o['test.prefix-line'] === 'string')?.['test.prefix-line'];
  const time = typeof annotation['time'] === 'string' ? annotation['time'] : undefined;
  return { where, text: `${(prefix as string | undefined) ?? ''}${line}`, time, expected };
}

/** The address a matching line yields: `host`, or `ip4`/`ip6` in a few samples. */
function hostOf(annotation: Record<string, unknown>): string {
  const host = annotation['host'] ?? annotation['ip4'] ?? annotation['ip6'];
  // fail2ban found the address on an earlier line of the same connection.
  return host === undefined ? '(an earlier line)' : String(host);
}

const CONDITION = /^\s*(name|opts\.get\('([\w.]+)'\))\s*(==|!=)\s*'([^']*)'\s*$/;

/** The few Python conditions the samples use: `name == 'sshd'`, `opts.get('mode') != 'x'`. */
function holds(condition: unknown, options: Options, filter: string): boolean {
  if (condition === undefined) return true;
  const parsed = CONDITION.exec(String(condition));
  if (parsed === null) throw new Error(`cannot read the sample condition ${String(condition)}`);
  const [, subject, option, operator, value] = parsed;
  const actual = subject === 'name' ? filter : options[option!];
  return (actual === value) === (operator === '==');
}
