// How the library's filters fare on fail2ban's samples: every mode of every filter built
// through `use:` as a user would write it, then each sample line matched. Receives the
// library; sends per filter mode the lines, expected hits, hits, misses and false matches,
// each discrepancy with the explanation its library file gives, if any.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Warning } from '../../src/concepts/check.js';
import { loadConfig } from '../../src/concepts/config.js';
import type { Filter } from '../../src/concepts/filter.js';
import {
  type LibraryFilter,
  libraryNames,
  readLibraryFilter,
} from '../../src/concepts/library-file.js';
import { useNames } from '../../src/concepts/library.js';
import { canonicalIp } from '../../src/lib/ip.js';
import { CORPUS_DIR, type Options, readSamples } from './corpus.js';

/** Every filter `use:` can name, built in one configuration, with the warnings it gave. */
export async function buildAll(): Promise<{ filters: Map<string, Filter>; warnings: Warning[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-library-'));
  try {
    const filters = Object.fromEntries(
      useNames().map((name) => [name, { use: name, actions: { a: { cmd: ['true'] } } }]),
    );
    // No address ignored: the samples' own 127.0.0.1 lines count.
    const config = {
      patterns: { ip: { type: 'ip' } },
      streams: { library: { cmd: ['true'], filters } },
    };
    writeFileSync(join(dir, 'library.json'), JSON.stringify(config));
    const loaded = await loadConfig(join(dir, 'library.json'));
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    const built = loaded.config.streams[0]!.filters.map((f) => [f.name, f] as const);
    return { filters: new Map(built), warnings: [...loaded.warnings] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Discrepancy {
  readonly where: string;
  readonly text: string;
  /** The address the line should yield; undefined when it should not match. */
  readonly expected: string | undefined;
  /** The address it yields; undefined when it does not match. */
  readonly got: string | undefined;
  readonly why: string | undefined;
}

export interface ModeResult {
  readonly filter: string;
  readonly mode: string;
  readonly files: readonly string[];
  readonly lines: number;
  readonly expected: number;
  readonly hits: number;
  readonly misses: readonly Discrepancy[];
  readonly falseMatches: readonly Discrepancy[];
}

export interface FilterResult {
  readonly filter: LibraryFilter;
  /** Empty when no sample file covers the filter. */
  readonly modes: readonly ModeResult[];
  /** Why the sample file of the filter's name was not used. */
  readonly skipped: string | undefined;
  /** fail2ban modes of the samples that the filter maps to no mode of its own. */
  readonly untested: readonly string[];
  /** Explanations of the library file that explain nothing: stale notes. */
  readonly unused: readonly string[];
}

interface Explained {
  readonly why: string;
  readonly lines: readonly string[];
  readonly hosts: readonly string[];
}

interface Notes {
  readonly file: string;
  /** Why the samples of the same name do not apply to this filter. */
  readonly skip: string | undefined;
  readonly modes: Readonly<Record<string, string | null>>;
  readonly explained: readonly Explained[];
}

function notesOf(filter: LibraryFilter): Notes {
  const raw = (filter.corpus ?? {}) as Partial<Notes>;
  return {
    file: raw.file ?? filter.name,
    skip: raw.skip,
    modes: raw.modes ?? {},
    explained: (raw.explained ?? []).map((e) => ({
      why: e.why,
      lines: e.lines ?? [],
      hosts: e.hosts ?? [],
    })),
  };
}

/** The results of every library filter with a sample file. */
export function evaluateAll(filters: ReadonlyMap<string, Filter>): FilterResult[] {
  return libraryNames().map((name) => evaluate(readLibraryFilter(name), filters));
}

export function evaluate(
  library: LibraryFilter,
  filters: ReadonlyMap<string, Filter>,
): FilterResult {
  const notes = notesOf(library);
  if (notes.skip !== undefined || !existsSync(join(CORPUS_DIR, notes.file)))
    return { filter: library, modes: [], skipped: notes.skip, untested: [], unused: [] };
  const samples = readSamples(notes.file);
  const used = new Set<string>();
  const untested = new Set<string>();
  const byMode = new Map<string, Tally>();
  for (const sample of samples) {
    const tested = new Map<string, string | undefined>();
    for (const { options, host } of sample.expected) {
      const mode = modeOf(options, notes);
      if (mode === null || !library.modes.has(mode))
        untested.add(String(options['mode'] ?? 'normal'));
      else tested.set(mode, host);
    }
    for (const [mode, host] of tested) {
      const filter = filters.get(mode === 'normal' ? library.name : `${library.name}-${mode}`)!;
      const tally = byMode.get(mode) ?? newTally();
      byMode.set(mode, tally);
      count(
        tally,
        {
          where: sample.where,
          text: sample.text,
          expected: host,
          got: addressOf(filter, sample.text),
        },
        notes,
        used,
      );
    }
  }
  const modes = [...library.modes.keys()]
    .filter((mode) => byMode.has(mode))
    .map((mode) => ({ filter: library.name, mode, files: filesOf(samples), ...byMode.get(mode)! }));
  return {
    filter: library,
    modes,
    skipped: undefined,
    untested: [...untested].filter((m) => !mapsToNull(m, notes)),
    unused: unusedNotes(notes, used),
  };
}

function modeOf(options: Options, notes: Notes): string | null {
  const mode = typeof options['mode'] === 'string' ? options['mode'] : 'normal';
  return mode in notes.modes ? notes.modes[mode]! : mode;
}

function mapsToNull(mode: string, notes: Notes): boolean {
  return notes.modes[mode] === null;
}

function filesOf(samples: readonly { where: string }[]): string[] {
  return [...new Set(samples.map((s) => s.where.slice(0, s.where.lastIndexOf(':'))))];
}

interface Tally {
  lines: number;
  expected: number;
  hits: number;
  misses: Discrepancy[];
  falseMatches: Discrepancy[];
}

function newTally(): Tally {
  return { lines: 0, expected: 0, hits: 0, misses: [], falseMatches: [] };
}

function addressOf(filter: Filter, line: string): string | undefined {
  return filter.match(line)?.[0];
}

function count(
  tally: Tally,
  outcome: Omit<Discrepancy, 'why'>,
  notes: Notes,
  used: Set<string>,
): void {
  tally.lines++;
  const wanted =
    outcome.expected === undefined
      ? undefined
      : (canonicalIp(outcome.expected) ?? outcome.expected);
  if (wanted !== undefined) tally.expected++;
  if (wanted === outcome.got) {
    if (wanted !== undefined) tally.hits++;
    return;
  }
  const discrepancy = { ...outcome, why: explain(outcome, notes, used) };
  if (wanted === undefined) tally.falseMatches.push(discrepancy);
  else tally.misses.push(discrepancy);
}

function explain(
  outcome: Omit<Discrepancy, 'why'>,
  notes: Notes,
  used: Set<string>,
): string | undefined {
  for (const [i, e] of notes.explained.entries()) {
    const line = e.lines.find((l) => outcome.text.includes(l));
    const host = e.hosts.find((h) => h === outcome.expected);
    if (line === undefined && host === undefined) continue;
    used.add(line === undefined ? `${i} host ${host}` : `${i} line ${line}`);
    return e.why;
  }
  return undefined;
}

/** Why the library file says riposte reads `text` otherwise than fail2ban, if it says so. */
export function explanationOf(
  library: LibraryFilter,
  text: string,
  expected: string | undefined,
): string | undefined {
  return explain({ where: '', text, expected, got: undefined }, notesOf(library), new Set());
}

function unusedNotes(notes: Notes, used: ReadonlySet<string>): string[] {
  return notes.explained.flatMap((e, i) => [
    ...e.lines.filter((l) => !used.has(`${i} line ${l}`)).map((l) => `line "${l}"`),
    ...e.hosts.filter((h) => !used.has(`${i} host ${h}`)).map((h) => `host "${h}"`),
  ]);
}
