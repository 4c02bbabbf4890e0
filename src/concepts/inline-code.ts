// Which elements of a command another program reads as code: the script of `sh -c`, the
// program of `awk`, the remote command of `ssh`… Receives an argv list; sends the index of
// each such element with what reads it, for the lint that refuses a `<pattern>` there.
//
// Covered, because each reads an element as code or as a command line: the shells with -c;
// the interpreters with an inline-program flag (python -c, perl -e, ruby -e, node -e, php
// -r); awk and sed programs (GNU sed runs commands with its `e`); `su -c`, `runuser -c`,
// `flock -c`, `script -c` and `watch`, which hand a text to a shell; ssh, whose remote
// command is a shell text on the other side, as are its ProxyCommand-like options; `env -S`,
// which splits a text into words. Seen through, because they run the rest of their argv as
// a command: env, sudo, doas, nice, nohup, setsid, stdbuf, timeout, xargs, chroot, ionice,
// busybox, `flock FILE CMD`, `watch -x`, `ip netns exec`. Not covered: programs that take a
// script from a file, and wrappers outside this list, which are too many to know.

export interface CodeArgument {
  /** Index of the element in the argv list. */
  readonly index: number;
  /** What reads it, as a user would write it: "sh -c", "awk", "ssh". */
  readonly reader: string;
  readonly kind: ReaderKind;
}

/** How a value can be given as data instead, for the advice of the lint. */
export type ReaderKind = 'shell' | 'interpreter' | 'sed' | 'remote' | 'words';

/** How a program's options are read: which take a value, which take code. */
interface Options {
  /** Short options that take a value, attached (`-Ffs`) or as the next element. */
  readonly values?: string;
  /** Short options whose value, if any, can only be attached (`sed -i.bak`). */
  readonly attached?: string;
  /** Short options followed by optional digits, then more options (`perl -l0e`). */
  readonly digits?: string;
  /** Values are never attached to short options: `node -pe CODE` is -p and -e. */
  readonly separate?: boolean;
  /** Short options whose value is code. */
  readonly code?: string;
  readonly longValues?: readonly string[];
  readonly longCode?: readonly string[];
  /** Short options that end the options: what follows is not for this program (`python -m`). */
  readonly stop?: string;
}

interface Scan {
  /** The first operand, or argv.length. */
  readonly operand: number;
  /** Elements holding code given to an option. */
  readonly code: readonly number[];
  /** The short flags seen, in clusters or alone. */
  readonly flags: string;
}

/** Reads options from `start` to the first operand (or `--`). */
function scan(argv: readonly string[], start: number, o: Options): Scan {
  const code: number[] = [];
  let flags = '';
  let i = start;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return { operand: i + 1, code, flags };
    if (arg.startsWith('--')) {
      const [name = '', attached] = splitLong(arg);
      const isCode = o.longCode?.includes(name) === true;
      const takes = isCode || o.longValues?.includes(name) === true;
      // The value is the next element, unless it is attached with "=".
      if (takes && attached === undefined) i++;
      if (isCode && i < argv.length) code.push(i);
      continue;
    }
    if (!/^[-+]./.test(arg)) break;
    const short = readCluster(argv, i, o);
    flags += short.flags;
    if (short.code !== undefined) code.push(short.code);
    if (short.stop) return { operand: short.next, code, flags };
    i = short.next - 1;
  }
  return { operand: i, code, flags };
}

function splitLong(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

/** One cluster of short options (`-xec`, `-Ffs`, `-e'code'`) at argv[i]. */
function readCluster(argv: readonly string[], i: number, o: Options) {
  const arg = argv[i]!;
  let flags = '';
  for (let j = 1; j < arg.length; j++) {
    const char = arg[j]!;
    flags += char;
    if (o.attached?.includes(char)) return { flags, next: i + 1, code: undefined, stop: false };
    if (o.digits?.includes(char)) {
      while (/[0-9]/.test(arg[j + 1] ?? '')) j++;
      continue;
    }
    const isCode = o.code?.includes(char) === true;
    if (!isCode && o.values?.includes(char) !== true && o.stop?.includes(char) !== true) continue;
    const at = j + 1 < arg.length && o.separate !== true ? i : i + 1;
    return {
      flags,
      next: at + 1,
      code: isCode && at < argv.length ? at : undefined,
      stop: o.stop?.includes(char) === true,
    };
  }
  return { flags, next: i + 1, code: undefined, stop: false };
}

/** The program's name without its directory and version (`/usr/bin/python3.11` → python). */
function programOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/^(python|perl|ruby|php|node)[0-9.]*$/, '$1');
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'yash', 'fish']);
const SHELL_OPTIONS: Options = { values: 'oO', longValues: ['--rcfile', '--init-file'] };

const NODE: Options = {
  code: 'ep',
  values: 'rC',
  separate: true,
  longCode: ['--eval', '--print'],
  longValues: ['--require', '--import', '--loader', '--experimental-loader', '--conditions'],
};

/** Interpreters and the flag that takes inline code, with how they read their options. */
const INTERPRETERS: Readonly<Record<string, Options>> = {
  python: { code: 'c', values: 'WX', stop: 'm', longValues: ['--check-hash-based-pycs'] },
  perl: { code: 'eE', values: 'I', attached: 'ixCdDMmFV', digits: 'l0' },
  ruby: { code: 'e', values: 'ICEr', attached: 'FxK', digits: '0TW' },
  node: NODE,
  nodejs: NODE,
  php: { code: 'rBRE', values: 'cdfzt' },
};

const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk']);
const AWK_OPTIONS: Options = {
  values: 'Ffvil',
  code: 'e',
  longValues: ['--field-separator', '--assign', '--file', '--include', '--load', '--exec'],
  longCode: ['--source'],
};
const SED_OPTIONS: Options = {
  values: 'lf',
  code: 'e',
  attached: 'i',
  longValues: ['--line-length', '--file'],
  longCode: ['--expression'],
};
const SSH_OPTIONS: Options = { values: 'BbcDEeFIiJLlmOoPpQRSWw' };
/** ssh options whose value a local shell runs. */
const SSH_COMMANDS =
  /^(?:-o\s*)?(?:ProxyCommand|LocalCommand|RemoteCommand|KnownHostsCommand)[=\s]/i;

/** Options of the programs that run the rest of their argv as a command. */
const WRAPPERS: Readonly<Record<string, Options & { operands?: number }>> = {
  env: { values: 'uC', longValues: ['--unset', '--chdir'] },
  sudo: {
    values: 'ugCDhprtUTR',
    longValues: ['--user', '--group', '--chdir', '--host', '--prompt', '--role', '--type'],
  },
  doas: { values: 'uC' },
  nice: { values: 'n', longValues: ['--adjustment'] },
  nohup: {},
  setsid: {},
  stdbuf: { values: 'ioe', longValues: ['--input', '--output', '--error'] },
  timeout: { values: 'sk', longValues: ['--signal', '--kill-after'], operands: 1 },
  xargs: {
    values: 'adEILnPs',
    attached: 'eil',
    longValues: ['--arg-file', '--delimiter', '--max-lines', '--max-args', '--max-procs'],
  },
  chroot: { longValues: ['--userspec', '--groups'], operands: 1 },
  ionice: { values: 'cnp' },
};

/** Every element of `argv` that a program of the command reads as code. */
export function codeArguments(argv: readonly string[]): CodeArgument[] {
  return readCommand(argv, 0, 0);
}

function readCommand(argv: readonly string[], start: number, depth: number): CodeArgument[] {
  if (start >= argv.length || depth > 8) return [];
  const name = programOf(argv[start]!);
  if (SHELLS.has(name)) {
    const s = scan(argv, start + 1, SHELL_OPTIONS);
    if (!s.flags.includes('c') || s.operand >= argv.length) return [];
    return [{ index: s.operand, reader: `${name} -c`, kind: 'shell' }];
  }
  const interpreter = INTERPRETERS[name];
  if (interpreter !== undefined) {
    const s = scan(argv, start + 1, interpreter);
    return s.code.map((index) => ({
      index,
      reader: `${name} -${interpreter.code![0]}`,
      kind: 'interpreter',
    }));
  }
  if (AWKS.has(name)) return readProgram(argv, start, name, AWK_OPTIONS, 'interpreter');
  if (name === 'sed') return readProgram(argv, start, name, SED_OPTIONS, 'sed');
  return readOthers(argv, start, name, depth);
}

/** awk and sed: code in options, or else the first operand, unless a program file is given. */
function readProgram(
  argv: readonly string[],
  start: number,
  name: string,
  options: Options,
  kind: ReaderKind,
): CodeArgument[] {
  const s = scan(argv, start + 1, options);
  const code = s.code.map((index) => ({ index, reader: name, kind }));
  const fromFile = s.flags.includes('f') || argv.some((a) => a.startsWith('--file'));
  if (code.length > 0 || fromFile || s.operand >= argv.length) return code;
  return [{ index: s.operand, reader: name, kind }];
}

function readOthers(argv: readonly string[], start: number, name: string, depth: number) {
  switch (name) {
    case 'su':
    case 'runuser':
    case 'script':
      return commandOption(argv, start, name, depth);
    case 'ssh':
      return readSsh(argv, start);
    case 'flock': {
      const s = scan(argv, start + 1, { values: 'wE', longValues: ['--timeout'] });
      const next = argv[s.operand + 1];
      if (next === '-c' || next === '--command')
        return s.operand + 2 < argv.length
          ? [{ index: s.operand + 2, reader: 'flock -c', kind: 'shell' as const }]
          : [];
      return readCommand(argv, s.operand + 1, depth + 1);
    }
    case 'watch': {
      const s = scan(argv, start + 1, { values: 'nq', longValues: ['--interval'] });
      if (s.flags.includes('x') || argv.includes('--exec'))
        return readCommand(argv, s.operand, depth + 1);
      return argv.slice(s.operand).map((_, k) => ({
        index: s.operand + k,
        reader: 'watch',
        kind: 'shell' as const,
      }));
    }
    case 'busybox':
      return readCommand(argv, start + 1, depth + 1);
    case 'ip':
      return argv[start + 1] === 'netns' && argv[start + 2] === 'exec'
        ? readCommand(argv, start + 4, depth + 1)
        : [];
    default:
      return readWrapper(argv, start, name, depth);
  }
}

/** `su -c CMD`, `runuser -c CMD`, `script -c CMD`: the command goes to a shell. */
function commandOption(argv: readonly string[], start: number, name: string, depth: number) {
  for (let i = start + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-c' || arg === '--command' || arg === '--session-command')
      return i + 1 < argv.length
        ? [{ index: i + 1, reader: `${name} -c`, kind: 'shell' as const }]
        : [];
    if (arg.startsWith('--command=') || (arg.startsWith('-c') && arg.length > 2))
      return [{ index: i, reader: `${name} -c`, kind: 'shell' as const }];
    // runuser -u USER -- PROGRAM…: a command, run as it is.
    if (arg === '--' && name === 'runuser') return readCommand(argv, i + 1, depth + 1);
  }
  return [];
}

/** Every element after the destination is the remote command, which a shell parses there. */
function readSsh(argv: readonly string[], start: number): CodeArgument[] {
  const s = scan(argv, start + 1, SSH_OPTIONS);
  const found: CodeArgument[] = [];
  for (let i = start + 1; i < s.operand; i++) {
    const option = argv[i - 1] === '-o' ? `-o ${argv[i]}` : argv[i]!;
    if (SSH_COMMANDS.test(option)) found.push({ index: i, reader: 'ssh -o', kind: 'shell' });
  }
  for (let i = s.operand + 1; i < argv.length; i++)
    found.push({ index: i, reader: 'ssh', kind: 'remote' });
  return found;
}

function readWrapper(argv: readonly string[], start: number, name: string, depth: number) {
  const options = WRAPPERS[name];
  if (options === undefined) return [];
  const s = scan(argv, start + 1, {
    ...options,
    ...(name === 'env' ? { code: 'S', longCode: ['--split-string'] } : {}),
  });
  const split = s.code.map((index) => ({ index, reader: 'env -S', kind: 'words' as const }));
  let next = s.operand + (options.operands ?? 0);
  // env and sudo take NAME=VALUE assignments before the command.
  while ((name === 'env' || name === 'sudo') && /^\w+=/.test(argv[next] ?? '')) next++;
  return [...split, ...readCommand(argv, next, depth + 1)];
}
