// Warnings about configurations that are valid but probably not what their author meant.
// Receives a built Config; records warnings on the Checker: shell operators in argv,
// programs not found in PATH, a greedy ".*" before a pattern, regexes at risk of slowness.

import { which } from '../lib/which.js';
import type { Checker, Path } from './check.js';
import type { Config } from './config.js';

const SHELL_OPERATORS = new Set([
  '|',
  '||',
  '&&',
  ';',
  '&',
  '>',
  '>>',
  '<',
  '<<',
  '2>',
  '2>&1',
  '&>',
  '|&',
]);

export function lintConfig(c: Checker, config: Config): void {
  const missing = new Map<string, Path[]>();
  for (const [path, argv] of commandsOf(config)) {
    lintArgv(c, path, argv);
    const program = argv[0]!;
    if (!missing.has(program) && which(program) !== undefined) continue;
    missing.set(program, [...(missing.get(program) ?? []), [...path, 0]]);
  }
  for (const [program, places] of missing) {
    const others =
      places.length > 1
        ? ` (and ${places.length - 1} other command${places.length > 2 ? 's' : ''})`
        : '';
    c.warn(places[0]!, `program "${program}" is not found in PATH${others}`);
  }
  for (const stream of config.streams) {
    for (const filter of stream.filters) {
      const base = ['streams', stream.name, 'filters', filter.name];
      const fields = Object.keys(filter.struct?.options.fields ?? {});
      for (const [i, regex] of filter.regexes.entries()) {
        const path =
          filter.struct === undefined
            ? [...base, 'regex', i]
            : [...base, 'options', 'fields', fields[i]!, 'regex'];
        for (const warning of regex.engine.warnings) c.warn(path, warning);
      }
    }
  }
}

function lintArgv(c: Checker, path: Path, argv: readonly string[]): void {
  const operator = argv.find((arg) => SHELL_OPERATORS.has(arg));
  if (operator !== undefined) {
    c.warn(
      path,
      `"${operator}" is passed to ${argv[0]} as a plain argument: commands run without a shell; write ['sh', '-c', '...'] to use one`,
    );
  }
}

/** Every command of the configuration with its key path. */
function* commandsOf(config: Config): Generator<[Path, readonly string[]]> {
  for (const [i, argv] of config.start.entries()) yield [['start', i], argv];
  for (const [i, argv] of config.stop.entries()) yield [['stop', i], argv];
  for (const stream of config.streams) {
    if (stream.type === 'cmd') yield [['streams', stream.name, 'cmd'], stream.cmd];
    for (const filter of stream.filters) {
      for (const action of filter.actions) {
        if (action.type !== 'cmd') continue;
        yield [
          ['streams', stream.name, 'filters', filter.name, 'actions', action.name, 'cmd'],
          action.cmd,
        ];
      }
    }
  }
}
