// The compiled files of the package: finds them, strips their debugging data, brings along
// the private shared libraries a native module was linked to (libjsonnet) with a search
// path relative to the module, and asks dpkg-shlibdeps which system libraries they need.
// Receives staged paths; sends file edits and a Depends list. Uses binutils, patchelf and
// dpkg-dev.

import {
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { walk } from './control.js';
import { must } from './run.js';

/** Whether a file starts with the ELF magic number. */
export function isElf(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF';
  } finally {
    closeSync(fd);
  }
}

/** Every ELF file under `dir`. */
export function elfFiles(dir: string): string[] {
  return walk(dir)
    .map((p) => join(dir, p))
    .filter((p) => lstatSync(p).isFile() && isElf(p));
}

interface Dynamic {
  readonly needed: readonly string[];
  readonly runpath: readonly string[];
}

/** NEEDED libraries and RUNPATH (or RPATH) of a file, from `readelf -d`. */
export function dynamic(file: string): Dynamic {
  const text = must(['readelf', '-d', '-W', file]);
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
  const path = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[([^\]]*)\]/.exec(text)?.[1];
  const runpath = (path ?? '')
    .split(':')
    .filter((p) => p !== '')
    .map((p) => p.replace(/\$\{?ORIGIN\}?/g, dirname(file)));
  return { needed, runpath };
}

/** Where the system's own libraries live: those are the dependencies' business. */
const SYSTEM = /^\/(usr\/)?(local\/)?lib(32|64|x32)?\//;

/**
 * Copies beside `staged` (a module already stripped: patchelf comes after strip, never
 * before) every library that `original` (the same module where npm built it) finds through
 * its RUNPATH, which the build pointed at its own tree (libjsonnet.so.0), under the name it
 * asks for, and makes the module look for them beside itself.
 */
export function bundlePrivateLibraries(original: string, staged: string): void {
  const pending = [original];
  const copied = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop()!;
    const { needed, runpath } = dynamic(file);
    for (const name of needed) {
      const found = runpath.map((dir) => join(dir, name)).find((p) => existsSync(p));
      if (found === undefined || SYSTEM.test(realpathSync(found))) continue;
      if (copied.has(name)) continue;
      copied.add(name);
      const target = join(dirname(staged), name);
      copyFileSync(realpathSync(found), target);
      strip(target);
      pending.push(found);
    }
  }
  if (dynamic(staged).runpath.length === 0 && copied.size === 0) return;
  must([
    'patchelf',
    ...(copied.size > 0 ? ['--set-rpath', '$ORIGIN'] : ['--remove-rpath']),
    staged,
  ]);
  // A private library that needs another finds it beside itself too.
  for (const name of copied)
    must(['patchelf', '--set-rpath', '$ORIGIN', join(dirname(staged), name)]);
}

/** Removes symbols and notes, as dh_strip does: the modules shrink tenfold (RE2: 20 MB to 1.3). */
export function strip(file: string): void {
  const shared = must(['readelf', '-h', '-W', file]).includes('DYN (Shared object file)');
  const level = shared ? ['--strip-unneeded'] : [];
  must(['strip', ...level, '--remove-section=.comment', '--remove-section=.note', file]);
}

/**
 * The Depends entries for the system libraries that `files` use, computed by dpkg-shlibdeps in
 * `work`, the directory holding `debian/control` and the package tree `debian/riposte/`. The
 * modules also use symbols of the `node` binary that loads them: the warnings about those are
 * silenced, the dependency on nodejs says it.
 */
export function shlibDepends(work: string, files: readonly string[]): string {
  const out = must(['dpkg-shlibdeps', '-O', '--warnings=0', ...files], { cwd: work });
  const depends = /^shlibs:Depends=(.*)$/m.exec(out)?.[1];
  if (depends === undefined) throw new Error(`cannot read dpkg-shlibdeps' answer: ${out}`);
  return depends;
}
