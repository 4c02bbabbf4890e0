// The configurations the daemon benchmarks start riposte with, built around the first seed's
// ssh filter: its regexes are read from examples/seeds/reaction.yml with riposte's own
// loader, so the benchmarks follow the seed. Receives what differs per benchmark (stream
// command, retry, actions); sends the path of a JSON configuration file.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/concepts/config.js';
import { ROOT } from './measure.js';

export const SEED = join(ROOT, 'examples/seeds/reaction.yml');
export const DEMO = join(ROOT, 'examples/demo/riposte.yml');

/** The seed's ssh regexes, in order. */
export async function seedRegexes(): Promise<string[]> {
  const loaded = await loadConfig(SEED);
  if (!loaded.ok) throw new Error(`cannot load ${SEED}: ${loaded.errors[0]?.message}`);
  const filter = loaded.config.streams[0]?.filters[0];
  if (filter === undefined) throw new Error(`${SEED} has no filter`);
  return filter.regexes.map((r) => r.source);
}

/** The literal texts the seed's ssh regexes require, which riposte searches blocks for. */
export async function seedLiterals(): Promise<string[]> {
  const loaded = await loadConfig(SEED);
  if (!loaded.ok) throw new Error(`cannot load ${SEED}: ${loaded.errors[0]?.message}`);
  const regexes = loaded.config.streams[0]?.filters[0]?.regexes ?? [];
  return regexes.flatMap((r) => (r.engine.literal === null ? [] : [r.engine.literal]));
}

export interface DaemonConfig {
  readonly dir: string;
  readonly cmd: readonly string[];
  readonly regex: readonly string[];
  readonly retry: number;
  readonly retryperiod?: string;
  readonly actions: Readonly<Record<string, unknown>>;
  /** More streams, e.g. the virtual stream that virtual actions feed. */
  readonly streams?: Readonly<Record<string, unknown>>;
}

/** Writes DIR/riposte.json: stream "ssh", filter "failedlogin", state in DIR. */
export function writeConfig(c: DaemonConfig): string {
  mkdirSync(c.dir, { recursive: true });
  const path = join(c.dir, 'riposte.json');
  const filter = {
    regex: c.regex,
    retry: c.retry,
    ...(c.retryperiod === undefined ? {} : { retryperiod: c.retryperiod }),
    actions: c.actions,
  };
  const config = {
    patterns: { ip: { type: 'ip' } },
    streams: { ssh: { cmd: c.cmd, filters: { failedlogin: filter } }, ...c.streams },
    state_directory: c.dir,
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}
