#!/usr/bin/env node
// Compiles the native helpers: native/spawner.c to build/riposte-spawner, which starts actions
// with posix_spawn, and native/stream-guard.c to build/riposte-stream-guard, which makes a
// stream's command die with riposte. Never fails the install: without a C compiler, or if
// compilation fails, it says so in one line per helper and riposte goes without it. CC
// chooses the compiler. Afterwards each helper is either built from this source or absent:
// an older one might not speak this version's protocol.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HELPERS = [
  { source: 'spawner.c', target: 'riposte-spawner', fallback: 'actions will be started from Node' },
  {
    source: 'stream-guard.c',
    target: 'riposte-stream-guard',
    fallback: 'stream commands will outlive a riposte that is killed',
  },
];

/** Undefined if the compiler is not installed, else what it said when it failed, or ''. */
function compile(compiler, flags) {
  const result = spawnSync(compiler, flags, { encoding: 'utf8' });
  if (result.error !== undefined) return undefined;
  if (result.status === 0) return '';
  return result.stderr.trim().split('\n')[0] || `exit status ${result.status}`;
}

function build(compilers, helper) {
  const target = join(root, 'build', helper.target);
  const shown = relative(root, target);
  // Beside the target, then renamed over it: a helper that is running keeps its old file.
  const partial = `${target}.${process.pid}.tmp`;
  // No -Werror here: a newer compiler's new warning must not cost users the helper.
  const flags = ['-O2', '-Wall', '-Wextra', '-o', partial, join(root, 'native', helper.source)];
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

mkdirSync(join(root, 'build'), { recursive: true });
const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
for (const helper of HELPERS) {
  const said = build(compilers, helper);
  if (!said.startsWith('riposte: built'))
    rmSync(join(root, 'build', helper.target), { force: true });
  console.log(said);
}
