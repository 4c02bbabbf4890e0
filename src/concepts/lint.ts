// Warnings about configurations that are valid but probably not what their author meant,
// and errors about those that let a log line steer a command. Receives a built Config;
// records on the Checker: shell operators in argv, programs not found in PATH, a greedy
// ".*" before a pattern, regexes at risk of slowness, a `<pattern>` inside inline code or
// where its value could pass for an option.

import { which } from '../lib/which.js';
import type { Action } from './action.js';
import type { Checker, Path } from './check.js';
import type { Config } from './config.js';
import type { Filter } from './filter.js';
import { type CodeArgument, codeArguments } from './inline-code.js';

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
      for (const action of filter.actions)
        lintCode(c, [...base, 'actions', action.name], filter, action);
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

/**
 * A `<pattern>` inside code that a program runs (`['sh', '-c', 'echo <u>']`): the value is
 * chosen by whoever writes the log line. An error for a regex pattern, whose values can
 * hold anything the regex takes; a warning for an IP pattern, whose values are checked to
 * be addresses or networks, which carry no code.
 */
function lintCode(c: Checker, path: Path, filter: Filter, action: Action): void {
  if (action.type !== 'cmd') return;
  const codes = codeArguments(action.cmd);
  lintOptions(c, path, filter, action, codes);
  for (const code of codes) {
    const slots = (action.argv[code.index] ?? []).filter((part) => typeof part === 'number');
    const patterns = [...new Set(slots.map((n) => filter.patterns[n]!))];
    if (patterns.length === 0) continue;
    const free = patterns.filter((p) => p.type === 'regex');
    const named = (free.length > 0 ? free : patterns).map((p) => `<${p.name}>`);
    const where = [...path, 'cmd', code.index];
    const head = `${named.join(', ')} ${named.length > 1 ? 'are' : 'is'} inside the code that "${code.reader}" runs`;
    const advice = adviceFor(code, (free[0] ?? patterns[0]!).name);
    if (free.length > 0) {
      c.fail(
        where,
        `${head}: a log line chooses the value, which can then run commands; ${advice}`,
      );
    } else {
      c.warn(
        where,
        `${head}: an IP value is checked to be an address, which carries no code, but ${advice}`,
      );
    }
  }
}

/**
 * A regex pattern's value as a whole argument, where the program reads options: a value
 * that starts with "-" (`-oProxyCommand=…`) would be one. Not after "--", nor among the
 * arguments that a shell or interpreter hands to its code (`sh -c 'ban "$1"' sh <u>`).
 */
function lintOptions(
  c: Checker,
  path: Path,
  filter: Filter,
  action: Action & { type: 'cmd' },
  codes: readonly CodeArgument[],
): void {
  const end = action.cmd.indexOf('--');
  const data = codes.find((code) => code.kind === 'shell' || code.kind === 'interpreter');
  const last = Math.min(end < 0 ? action.cmd.length : end, data?.index ?? action.cmd.length);
  const program = action.cmd[0]!.slice(action.cmd[0]!.lastIndexOf('/') + 1);
  for (let i = 1; i < last; i++) {
    const first = action.argv[i]?.[0];
    const p = typeof first === 'number' ? filter.patterns[first] : undefined;
    if (p === undefined || !p.optionLike || codes.some((code) => code.index === i)) continue;
    c.warn(
      [...path, 'cmd', i],
      `<${p.name}> is a whole argument of ${program}, and its regex lets a value start with "-": unless the argument before takes it as its value, ${program} would read it as an option; put "--" before it if ${program} takes one, or make the regex start with another character`,
    );
  }
}

/** How to give the value as data to what reads the code. */
function adviceFor(code: CodeArgument, name: string): string {
  const slot = `'<${name}>'`;
  switch (code.kind) {
    case 'shell':
      return `pass the value as an argument instead, as in ['sh', '-c', 'echo "$1"', 'sh', ${slot}]`;
    case 'interpreter': {
      const example = INTERPRETER_EXAMPLES[code.reader.split(' ')[0]!];
      return example === undefined
        ? 'pass the value as an argument instead'
        : `pass the value as an argument instead, as in ${example.replace('SLOT', slot)}`;
    }
    case 'sed':
      return 'sed cannot take a value as data: do the edit with a program that takes the value as an argument';
    case 'remote':
      return 'the remote shell parses every element after the host: check the value on the remote side, or send it on stdin';
    case 'words':
      return 'write the command as separate elements, the value one of them';
  }
}

const INTERPRETER_EXAMPLES: Readonly<Record<string, string>> = {
  python: "['python3', '-c', 'import sys; print(sys.argv[1])', SLOT]",
  perl: "['perl', '-e', 'print $ARGV[0]', SLOT]",
  ruby: "['ruby', '-e', 'puts ARGV[0]', SLOT]",
  node: "['node', '-e', 'console.log(process.argv[1])', SLOT]",
  nodejs: "['node', '-e', 'console.log(process.argv[1])', SLOT]",
  php: "['php', '-r', 'echo $argv[1];', SLOT]",
  awk: "['awk', 'BEGIN { print ARGV[1] }', SLOT]",
  gawk: "['gawk', 'BEGIN { print ARGV[1] }', SLOT]",
  mawk: "['mawk', 'BEGIN { print ARGV[1] }', SLOT]",
  nawk: "['nawk', 'BEGIN { print ARGV[1] }', SLOT]",
};
