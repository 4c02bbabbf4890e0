// `riposte test-config`: loads a configuration and prints its merged, normalised form, or
// every error. Receives the -c path and output format; sends the config to stdout and
// warnings and errors to stderr; exit status 1 on any error. Asks the journal whether the
// units the configuration reads have entries.

import { loadConfig } from '../concepts/config.js';
import { journalWarnings } from '../concepts/lint-sources.js';
import { normalised } from '../concepts/normalise.js';
import { toYaml } from '../concepts/yaml.js';

export type Format = 'yaml' | 'json';

export async function testConfig(path: string, format: Format): Promise<number> {
  const loaded = await loadConfig(path);
  for (const w of loaded.warnings) process.stderr.write(`warning: ${w.place}: ${w.message}\n`);
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`error: ${e.message}\n`);
    const n = loaded.errors.length;
    process.stderr.write(`${n} error${n === 1 ? '' : 's'} in the configuration ${path}\n`);
    return 1;
  }
  for (const w of await journalWarnings(loaded.config)) process.stderr.write(`warning: ${w}\n`);
  const plain = normalised(loaded.config);
  process.stdout.write(format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : toYaml(plain));
  return 0;
}
