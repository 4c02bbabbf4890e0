// `riposte filters [NAME]`: the filter library, for an admin choosing what to enable. Receives
// an optional service or mode name and a format; sends to stdout the list (name, what it
// catches, its modes and log sources) or one filter in full (each mode as `use:` brings it).

import { broughtKeys, resolveUse, useNames } from '../concepts/library.js';
import { type LibraryFilter, libraryNames, readLibraryFilter } from '../concepts/library-file.js';
import { toYaml } from '../concepts/yaml.js';
import { UsageError } from '../lib/errors.js';
import { closest } from '../lib/suggest.js';

export type Format = 'yaml' | 'json';

export function filters(name: string | undefined, format: Format): number {
  process.stdout.write(name === undefined ? libraryList() : oneFilter(name, format));
  return 0;
}

/** Every service: its name, the first sentence of its description, modes and sources. */
export function libraryList(): string {
  const all = libraryNames().map(readLibraryFilter);
  const width = Math.max(...all.map((f) => f.name.length)) + 2;
  const indent = ' '.repeat(width);
  const entries = all.map((f) => {
    const modes = [...f.modes.keys()].filter((m) => m !== 'normal');
    return [
      `${f.name.padEnd(width)}${firstSentence(f.description)}`,
      ...(modes.length > 0 ? [`${indent}modes: ${modes.join(', ')}`] : []),
      `${indent}logs: ${sourcesOf(f)}`,
    ].join('\n');
  });
  const footer = `${all.length} filters. Enable one with "use: NAME" in a filter; "riposte filters NAME" shows one in full.`;
  return `${entries.join('\n')}\n\n${footer}\n`;
}

/** A service (every mode) or one mode, as plain data: what `use:` brings, and where from. */
export function oneFilter(name: string, format: Format): string {
  const resolved = resolveUse(name);
  if (resolved === undefined) {
    const near = closest(name, useNames());
    const hint = near === undefined ? '' : `, did you mean "${near}"?`;
    throw new UsageError(`unknown library filter "${name}"${hint} ("riposte filters" lists them)`);
  }
  const { filter } = resolved;
  const wanted = name === filter.name ? [...filter.modes.values()] : [resolved.mode];
  const modes = Object.fromEntries(
    wanted.map((mode) => {
      const use = mode.name === 'normal' ? filter.name : `${filter.name}-${mode.name}`;
      const described = mode.description === undefined ? {} : { description: mode.description };
      return [mode.name, { use, ...described, ...broughtKeys({ filter, mode }) }];
    }),
  );
  const plain = {
    name: filter.name,
    description: filter.description,
    sources: Object.fromEntries(
      Object.entries(filter.sources).filter(([, list]) => list.length > 0),
    ),
    ...(filter.time === undefined ? {} : { time: filter.time }),
    patterns: filter.patterns,
    modes,
  };
  return format === 'json' ? `${JSON.stringify(plain, null, 2)}\n` : toYaml(plain);
}

function firstSentence(text: string): string {
  const end = text.search(/\.(?:\s|$)/);
  return end < 0 ? text : text.slice(0, end + 1);
}

function sourcesOf(filter: LibraryFilter): string {
  const { journald, syslog, files, json } = filter.sources;
  const parts = [
    journald.length > 0 ? `journald ${journald.join(' ')}` : '',
    syslog.length > 0 ? `syslog ${syslog.join(' ')}` : '',
    files.length > 0 ? `files ${files.join(' ')}` : '',
    json.length > 0 ? `JSON fields ${json.join(' ')}` : '',
  ];
  return parts.filter((p) => p !== '').join('; ');
}
