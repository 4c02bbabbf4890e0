// `riposte test-config`: loads a configuration and prints its merged, normalised form, or
// every error. Receives the -c path and output format; sends the config to stdout and
// warnings and errors to stderr; exit status 1 on any error.

import type { Action } from '../concepts/action.js';
import { type Config, loadConfig } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Pattern } from '../concepts/pattern.js';
import { toYaml } from '../concepts/yaml.js';
import { formatDuration } from '../lib/duration.js';

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
  const plain = normalised(loaded.config);
  process.stdout.write(format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : toYaml(plain));
  return 0;
}

/** The configuration as riposte understood it, every default written: itself a valid config. */
export function normalised(config: Config): Record<string, unknown> {
  return {
    patterns: Object.fromEntries([...config.patterns].map(([name, p]) => [name, pattern(p)])),
    streams: Object.fromEntries(
      config.streams.map((s) => [
        s.name,
        {
          type: s.type,
          ...(s.type === 'cmd' ? { cmd: s.cmd } : {}),
          filters: Object.fromEntries(s.filters.map((f) => [f.name, filter(f)])),
        },
      ]),
    ),
    start: config.start,
    stop: config.stop,
    concurrency: config.concurrency,
    state_directory: config.stateDirectory,
    state_rotation_interval:
      config.stateRotationInterval === null ? null : formatDuration(config.stateRotationInterval),
    history: formatDuration(config.history),
    ...(config.plugins.length === 0
      ? {}
      : { plugins: Object.fromEntries(config.plugins.map((p) => [p.name, p.options])) }),
  };
}

function pattern(p: Pattern): Record<string, unknown> {
  return {
    type: p.type,
    ...(p.type === 'regex' ? { regex: p.regex } : {}),
    ignore: p.ignore,
    ignoreregex: p.ignoreregex,
    ...(p.type === 'regex' ? {} : { ignorecidr: p.ignorecidr }),
    ...(p.ipv4mask === undefined ? {} : { ipv4mask: p.ipv4mask }),
    ...(p.ipv6mask === undefined ? {} : { ipv6mask: p.ipv6mask }),
  };
}

function filter(f: Filter): Record<string, unknown> {
  const matching =
    f.struct === undefined
      ? { regex: f.regexes.map((r) => r.source) }
      : { options: f.struct.options };
  return {
    type: f.type,
    ...matching,
    retry: f.retry,
    ...(f.retry > 1 ? { retryperiod: formatDuration(f.retryperiod) } : {}),
    duplicates: f.duplicates,
    ...(f.time === undefined ? {} : { time: f.time }),
    actions: Object.fromEntries(f.actions.map((a) => [a.name, action(a)])),
  };
}

function action(a: Action): Record<string, unknown> {
  const common = {
    ...(a.delayed ? { after: formatDuration(a.after), onexit: a.onexit } : { oneshot: a.oneshot }),
    ...(a.family === 'ipv4' ? { ipv4only: true } : {}),
    ...(a.family === 'ipv6' ? { ipv6only: true } : {}),
  };
  switch (a.type) {
    case 'cmd':
      return { type: 'cmd', cmd: a.cmd, ...common };
    case 'virtual':
      return { type: 'virtual', options: { send: a.sendText, to: a.to }, ...common };
    case 'ipset':
    case 'nftables':
      return { type: a.type, options: a.options, ...common };
  }
}
