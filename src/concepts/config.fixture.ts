// For unit tests: a configuration written as JSON into a temporary file and loaded by
// loadConfig(), as riposte loads one. Receives the document, or the filters of one stream;
// sends the loaded Config or its filters, or fails the test with the configuration's errors.
// No command of riposte imports it: it is compiled with the tests and left out of the bundle.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from './config.js';
import type { Filter } from './filter.js';

/** The pattern most tests need. */
export const IP_PATTERN = { ip: { type: 'ip' } };

/** The configuration `doc` (a JSON document) as loadConfig() loads it. */
export async function loadedConfig(doc: object): Promise<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(doc));
    const loaded = await loadConfig(file);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map((e) => e.message).join('\n'));
    return loaded.config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The filters of stream `s` (`cmd: ['true']`) defined by `filters`, with `patterns`; `more`
 * adds streams beside it.
 */
export async function streamFilters(
  filters: Record<string, object>,
  patterns: object = IP_PATTERN,
  more: Record<string, object> = {},
): Promise<Filter[]> {
  const streams = { s: { cmd: ['true'], filters }, ...more };
  return [...(await loadedConfig({ patterns, streams })).streams[0]!.filters];
}
