// The production dependencies the package ships: which packages riposte loads at run time
// (from package-lock.json), whether the node_modules that `npm ci` compiled can be reused, and
// which of their files a running riposte needs. Receives the lock files and package
// directories; sends lists of paths to copy.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Packages that native modules list as dependencies but use only to compile themselves at
 * install time: once the module is built, nothing loads them.
 */
export const BUILD_ONLY: ReadonlySet<string> = new Set([
  'cmake-js',
  'install-artifact-from-github',
  'nan',
  'node-addon-api',
  'node-api-headers',
  'node-gyp',
  'prebuild-install',
]);

export interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly dev?: boolean;
  readonly license?: string;
  readonly hasInstallScript?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

export interface Lock {
  readonly packages: Readonly<Record<string, LockEntry>>;
}

export function readLock(file: string): Lock {
  const lock = JSON.parse(readFileSync(file, 'utf8')) as Partial<Lock>;
  if (typeof lock.packages !== 'object' || lock.packages === null) {
    throw new Error(
      `cannot read ${file}: no "packages" map (lockfileVersion 2 or later is needed)`,
    );
  }
  return lock as Lock;
}

/** Where Node looks for `name` from the package at `from`: its own node_modules, then up. */
function resolve(lock: Lock, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (candidate in lock.packages) return candidate;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/**
 * The lock paths (`node_modules/a`, `node_modules/a/node_modules/b`) of every package a running
 * riposte can load: the root's dependencies and theirs, without development dependencies and
 * without the build tools of BUILD_ONLY.
 */
export function runtimePackages(lock: Lock): string[] {
  const seen = new Set<string>();
  const visit = (from: string) => {
    const entry = lock.packages[from];
    const names = [
      ...Object.keys(entry?.dependencies ?? {}),
      ...Object.keys(entry?.optionalDependencies ?? {}),
    ];
    for (const name of names) {
      if (BUILD_ONLY.has(name)) continue;
      const path = resolve(lock, from, name);
      if (path === undefined) {
        if (name in (entry?.optionalDependencies ?? {})) continue;
        throw new Error(`cannot resolve "${name}" required by ${from || 'riposte'} in the lock`);
      }
      if (seen.has(path) || lock.packages[path]?.dev === true) continue;
      seen.add(path);
      visit(path);
    }
  };
  visit('');
  return [...seen].sort();
}

/**
 * Why `node_modules` (as `npm ci` left it) is not what the lock asks for, or undefined when
 * every runtime package is there at its locked version and integrity. npm records what it
 * installed in `node_modules/.package-lock.json`.
 */
export function mismatch(
  root: string,
  lock: Lock,
  packages: readonly string[],
): string | undefined {
  const hidden = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return 'node_modules was not installed by npm (no .package-lock.json)';
  const installed = readLock(hidden);
  for (const path of packages) {
    const want = lock.packages[path]!;
    const have = installed.packages[path];
    if (have === undefined) return `${path} is not installed`;
    if (have.version !== want.version) {
      return `${path} is at ${have.version}, the lock says ${want.version}`;
    }
    if (want.integrity !== undefined && have.integrity !== want.integrity) {
      return `${path} is not the locked tarball (integrity differs)`;
    }
    const manifest = join(root, path, 'package.json');
    if (!existsSync(manifest)) return `${path}/package.json is missing`;
  }
  return undefined;
}

const LICENCE = /^(licen[cs]e|copying|notice)(\.|$)/i;
/** Directories at the top of a package that a running program never reads. */
const DROPPED_DIRS = new Set([
  '.github',
  '__tests__',
  'benchmark',
  'benchmarks',
  'browser',
  'doc',
  'docs',
  'example',
  'examples',
  'spec',
  'test',
  'tests',
  'types',
  'typings',
]);
/** Sources and build files of a native module: compiled into its `.node`, never read again. */
const NATIVE_SOURCE_DIRS = new Set(['deps', 'scripts', 'src', 'third_party', 'vendor']);
const DROPPED_FILES =
  /(\.(md|markdown|map|ts|mts|cts|gyp|gypi|c|cc|cpp|h|hpp|tsbuildinfo)|^\..*|^CMakeLists\.txt)$/i;

interface Manifest {
  readonly bin?: string | Readonly<Record<string, string>>;
}

/** The files a package names as its commands: npm links them, riposte never runs them. */
function binFiles(dir: string): Set<string> {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  const bins =
    typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {});
  return new Set(bins.map((b) => b.replace(/^\.\//, '')));
}

function isNative(dir: string): boolean {
  return existsSync(join(dir, 'binding.gyp')) || existsSync(join(dir, 'CMakeLists.txt'));
}

/** The compiled modules of a native package: `build/Release/*.node`, its tests' modules aside. */
function addons(dir: string): string[] {
  const release = join(dir, 'build', 'Release');
  if (!existsSync(release)) return [];
  return readdirSync(release)
    .filter((f) => f.endsWith('.node') && !f.startsWith('test'))
    .map((f) => `build/Release/${f}`);
}

/**
 * The files of the package in `dir` (relative paths) that riposte needs at run time: its
 * JavaScript, `package.json` and compiled modules; no tests, documentation, types, sources of
 * native code, build trees or commands. Licences go to the copyright file instead, as Debian
 * wants them.
 */
export function runtimeFiles(dir: string): string[] {
  const native = isNative(dir);
  const bins = binFiles(dir);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        const top = rel === '';
        const skip =
          entry.name === 'node_modules' ||
          (top && (DROPPED_DIRS.has(entry.name) || entry.name === 'build')) ||
          (top && native && NATIVE_SOURCE_DIRS.has(entry.name));
        if (!skip) walk(path);
      } else if (entry.name === 'package.json') out.push(path);
      else if (LICENCE.test(entry.name)) continue;
      else if (entry.isFile() && !DROPPED_FILES.test(entry.name) && !bins.has(path)) out.push(path);
    }
  };
  walk('');
  return [...out, ...addons(dir)].sort();
}
