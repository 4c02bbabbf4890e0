#!/usr/bin/env node
// Compiles native/spawner.c to build/riposte-spawner (or to the path given as argument), the
// helper that starts actions with posix_spawn. Never fails the install: without a C compiler,
// or if compilation fails, it says so in one line and riposte starts actions from Node
// instead. CC chooses the compiler; CPPFLAGS, CFLAGS and LDFLAGS are added to its flags, as
// make would (the Debian package passes its hardening flags so). Afterwards the helper is
// either built from this source or absent: an older one might not speak this version's
// protocol.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'spawner.c');
const target = process.argv[2] ? resolve(process.argv[2]) : join(root, 'build', 'riposte-spawner');
const shown = relative(root, target);
// Beside the target, then renamed over it: a helper that is running keeps its old file.
const partial = `${target}.${process.pid}.tmp`;
// No -Werror here: a newer compiler's new warning must not cost users the helper.
const fromEnv = (name) => (process.env[name] ?? '').split(/\s+/).filter((f) => f !== '');
const flags = [
  ...['-O2', '-Wall', '-Wextra', ...fromEnv('CPPFLAGS'), ...fromEnv('CFLAGS')],
  ...['-o', partial, source, ...fromEnv('LDFLAGS')],
];
const fallback = 'actions will be started from Node';

/** Undefined if the compiler is not installed, else what it said when it failed, or ''. */
function compile(compiler) {
  const result = spawnSync(compiler, flags, { encoding: 'utf8' });
  if (result.error !== undefined) return undefined;
  if (result.status === 0) return '';
  return result.stderr.trim().split('\n')[0] || `exit status ${result.status}`;
}

function build(compilers) {
  for (const compiler of compilers) {
    const failure = compile(compiler);
    if (failure === undefined) continue;
    if (failure === '') {
      renameSync(partial, target);
      return `riposte: built ${shown} with ${compiler}`;
    }
    rmSync(partial, { force: true });
    return `riposte: cannot build ${shown} with ${compiler} (${failure}); ${fallback}`;
  }
  return `riposte: no C compiler (tried ${compilers.join(', ')}); ${fallback}`;
}

mkdirSync(dirname(target), { recursive: true });
const said = build(process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang']);
if (!said.startsWith('riposte: built')) rmSync(target, { force: true });
console.log(said);
