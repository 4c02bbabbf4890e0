// codeArguments(): which elements of a command a program reads as code, as a table of
// (argv, [index, reader] of each code element).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codeArguments } from './inline-code.js';

const rows: readonly [argv: string[], found: [number, string][]][] = [
  // Shells with -c, alone or in a cluster, by path, with options before the script.
  [['sh', '-c', 'echo x'], [[2, 'sh -c']]],
  [['/bin/bash', '-ec', 'x'], [[2, 'bash -c']]],
  [['dash', '-xc', 'x', 'arg0', 'a'], [[2, 'dash -c']]],
  [['zsh', '-c', '-e', 'x'], [[3, 'zsh -c']]],
  [['bash', '-o', 'pipefail', '-c', 'x'], [[4, 'bash -c']]],
  [['bash', '--norc', '-c', 'x'], [[3, 'bash -c']]],
  [['ksh', '-c', 'x'], [[2, 'ksh -c']]],
  [['ash', '-c', 'x'], [[2, 'ash -c']]],
  // Not code: a script file, or no -c.
  [['sh', 'script.sh', 'x'], []],
  [['bash', '-e', 'script.sh'], []],
  [['sh', '-c'], []],
  // Through env and other commands that run the rest of their argv.
  [['env', 'sh', '-c', 'x'], [[3, 'sh -c']]],
  [['/usr/bin/env', 'sh', '-c', 'x'], [[3, 'sh -c']]],
  [['env', '-i', 'A=1', '-u', 'B', 'bash', '-c', 'x'], []],
  [['env', '-i', '-u', 'B', 'A=1', 'bash', '-c', 'x'], [[7, 'bash -c']]],
  [['env', '-S', 'sh -c x'], [[2, 'env -S']]],
  [['sudo', '-u', 'www', 'sh', '-c', 'x'], [[5, 'sh -c']]],
  [['timeout', '-s', 'KILL', '10s', 'sh', '-c', 'x'], [[6, 'sh -c']]],
  [['nice', '-n', '5', 'nohup', 'setsid', 'sh', '-c', 'x'], [[7, 'sh -c']]],
  [['xargs', '-0', '-I{}', 'sh', '-c', 'x {}'], [[5, 'sh -c']]],
  [['busybox', 'sh', '-c', 'x'], [[3, 'sh -c']]],
  [['ip', 'netns', 'exec', 'ns1', 'sh', '-c', 'x'], [[6, 'sh -c']]],
  [['flock', '/run/lock', 'sh', '-c', 'x'], [[4, 'sh -c']]],
  [['flock', '-w', '5', '/run/lock', '-c', 'x'], [[5, 'flock -c']]],
  // Interpreters with an inline-program flag.
  [['python3', '-c', 'print(1)'], [[2, 'python -c']]],
  [['/usr/bin/python3.11', '-Bc', 'x'], [[2, 'python -c']]],
  [['python', '-cprint(1)'], [[1, 'python -c']]],
  [['python3', '-m', 'mod', '-c', 'x'], []],
  [['perl', '-ne', 'print', 'file'], [[2, 'perl -e']]],
  [['perl', '-pi', '-e', 's/a/b/', 'file'], [[3, 'perl -e']]],
  [['perl', 'script.pl', '-e', 'x'], []],
  [['perl', '-le', 'print 1'], [[2, 'perl -e']]],
  [['perl', '-l012ne', 'print'], [[2, 'perl -e']]],
  [['perl', '-Mstrict', '-e', 'x'], [[3, 'perl -e']]],
  [['ruby', '-rjson', '-le', 'x'], [[3, 'ruby -e']]],
  [['node', '-pe', 'x'], [[2, 'node -e']]],
  [['ruby', '-e', 'puts 1'], [[2, 'ruby -e']]],
  [['node', '-e', 'x'], [[2, 'node -e']]],
  [['node', '--eval=x'], [[1, 'node -e']]],
  [['node', '-r', 'mod', '--print', 'x'], [[4, 'node -e']]],
  [['php', '-r', 'echo 1;'], [[2, 'php -r']]],
  // awk and sed programs, unless they come from a file.
  [['awk', '-F:', '-v', 'x=1', '{ print $1 }', 'file'], [[4, 'awk']]],
  [['gawk', '-f', 'prog.awk', 'file'], []],
  [['sed', '-n', 's/a/b/p', 'file'], [[2, 'sed']]],
  [['sed', '-i', '-e', 's/a/b/', 'file'], [[3, 'sed']]],
  [['sed', '-f', 'script.sed', 'file'], []],
  // Command strings handed to a shell.
  [['su', 'nobody', '-c', 'x'], [[3, 'su -c']]],
  [['runuser', '-u', 'nobody', '--', 'sh', '-c', 'x'], [[6, 'sh -c']]],
  [['script', '-q', '-c', 'x', '/dev/null'], [[3, 'script -c']]],
  [
    ['watch', '-n', '5', 'ls', 'x'],
    [
      [3, 'watch'],
      [4, 'watch'],
    ],
  ],
  [['watch', '-x', 'sh', '-c', 'x'], [[4, 'sh -c']]],
  // ssh: the remote command, and the options a local shell runs.
  [
    ['ssh', '-p', '22', 'host', 'ban', 'x'],
    [
      [4, 'ssh'],
      [5, 'ssh'],
    ],
  ],
  [['ssh', 'host'], []],
  [['ssh', '-o', 'ProxyCommand=nc x 22', 'host'], [[2, 'ssh -o']]],
  // Plain commands.
  [['iptables', '-I', 'INPUT', '-s', 'x', '-j', 'DROP'], []],
  [['echo', '-c', 'x'], []],
];

for (const [argv, found] of rows) {
  test(`codeArguments(${JSON.stringify(argv)}) finds ${JSON.stringify(found)}`, () => {
    assert.deepEqual(
      codeArguments(argv).map((c) => [c.index, c.reader]),
      found,
    );
  });
}
