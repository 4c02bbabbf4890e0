#!/usr/bin/env node
// Compiles the native helpers into build/ (or into the directory given as argument):
// native/spawner.c to riposte-spawner, which starts actions with posix_spawn, and
// native/stream-guard.c to riposte-stream-guard, which makes a stream's command die with
// riposte. Never fails the install: without a C compiler, or if compilation fails, it says so
// in one line per helper and riposte goes without it. CC chooses the compiler; CPPFLAGS,
// CFLAGS and LDFLAGS are added to its flags, as make would (the Debian package passes its
// hardening flags so). Afterwards each helper is either built from this source or absent: an
// older one might not speak this version's protocol.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const directory = process.argv[2] ? resolve(process.argv[2]) : join(root, 'build');
const HELPERS = [
  { source: 'spawner.c', target: 'riposte-spawner', fallback: 'actions will be started from Node' },
  {
    source: 'stream-guard.c',
    target: 'riposte-stream-guard',
    fallback: 'stream commands will outlive a riposte that is killed',
  },
];
const fromEnv = (name) => (process.env[name] ?? '').split(/\s+/).filter((f) => f !== '');

/** Undefined if the compiler is not installed, else what it said when it failed, or ''. */
function compile(compiler, flags) {
  const result = spawnSync(compiler, flags, { encoding: 'utf8' });
  if (result.error !== undefined) return undefined;
  if (result.status === 0) return '';
  return result.stderr.trim().split('\n')[0] || `exit status ${result.status}`;
}

function build(compilers, helper) {
  const target = join(directory, helper.target);
  const shown = relative(root, target);
  // Beside the target, then renamed over it: a helper that is running keeps its old file.
  const partial = `${target}.${process.pid}.tmp`;
  // No -Werror here: a newer compiler's new warning must not cost users the helper.
  const flags = [
    ...['-O2', '-Wall', '-Wextra', ...fromEnv('CPPFLAGS'), ...fromEnv('CFLAGS')],
    ...['-o', partial, join(root, 'native', helper.source), ...fromEnv('LDFLAGS')],
  ];
  for (const compiler of compilers) {
    const failure = compile(compiler, flags);
    if (failure === undefined) continue;
    if (failure === '') {
      renameSync(partial, target);
      return `riposte: built ${shown} with ${compiler}`;
    }
    rmSync(partial, { force: true });
    return `riposte: cannot build ${shown} with ${compiler} (${failure}); ${helper.fallback}`;
  }
  return `riposte: no C compiler (tried ${compilers.join(', ')}); ${helper.fallback}`;
}

mkdirSync(directory, { recursive: true });
const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
for (const helper of HELPERS) {
  const said = build(compilers, helper);
  if (!said.startsWith('riposte: built')) rmSync(join(directory, helper.target), { force: true });
  console.log(said);
}
