// Puts riposte's production dependencies into the package's tree, native modules compiled:
// those `npm ci` already built in the repository when they are the locked ones and load in
// this Node (no second compilation), else a fresh `npm ci --omit=dev` in a staging
// directory. Receives the repository, the tree and a scratch directory; sends the packages
// into /usr/lib/riposte/node_modules/ and says which source it used.

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { bundlePrivateLibraries, strip } from './elf.js';
import { LIB } from './layout.js';
import { type Lock, mismatch, readLock, runtimeFiles, runtimePackages } from './modules.js';
import { must } from './run.js';

export interface Shipped {
  /** Lock paths of the packages shipped: `node_modules/yaml`. */
  readonly packages: readonly string[];
  /** Where they were copied from: the repository, or the staging directory of `npm ci`. */
  readonly source: string;
}

/** Copies the runtime files of each package, and the private libraries of its modules. */
function copyPackages(from: string, root: string, packages: readonly string[]): void {
  for (const path of packages) {
    const dir = join(from, path);
    for (const file of runtimeFiles(dir)) {
      const target = join(root, LIB, path, file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(dir, file), target);
      if (!file.endsWith('.node')) continue;
      strip(target);
      bundlePrivateLibraries(join(dir, file), target);
    }
  }
}

/** The `.node` files of the shipped packages, in the tree. */
function addonsIn(lib: string, packages: readonly string[]): string[] {
  return packages.flatMap((p) => {
    const release = join(lib, p, 'build', 'Release');
    return existsSync(release)
      ? readdirSync(release)
          .filter((f) => f.endsWith('.node'))
          .map((f) => join(release, f))
      : [];
  });
}

/** The error a script run by this Node ends with, or undefined if it ran. */
function scriptFailure(script: string): string | undefined {
  try {
    must([process.execPath, '-'], { input: script });
    return undefined;
  } catch (error) {
    const said = (error as Error).message.split('\n').slice(1);
    return said.find((l) => /^\w*Error\b/.test(l)) ?? said.join(' ').slice(0, 300);
  }
}

/**
 * Why the copied modules cannot run here, or undefined: each `.node` is opened the way
 * `require` opens it (a module built for another Node ABI or architecture is refused), each
 * in a process of its own (a module opened twice aborts Node), then each dependency of
 * riposte is required.
 */
function loadFailure(root: string, packages: readonly string[]): string | undefined {
  const lib = join(root, LIB);
  for (const addon of addonsIn(lib, packages)) {
    const failure = scriptFailure(`process.dlopen({ exports: {} }, ${JSON.stringify(addon)});`);
    if (failure !== undefined) return `${addon}: ${failure}`;
  }
  const manifest = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const names = JSON.stringify(Object.keys(manifest.dependencies ?? {}));
  const load = `const load = require('node:module').createRequire(${JSON.stringify(join(lib, 'package.json'))});
    for (const name of ${names}) load(name);`;
  return scriptFailure(load);
}

/** `npm ci --omit=dev` of the locked dependencies in `dir`, riposte's own scripts left out. */
function freshInstall(repo: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  delete manifest['scripts'];
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  copyFileSync(join(repo, 'package-lock.json'), join(dir, 'package-lock.json'));
  must(['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir });
}

/** The dependencies in the tree, from the repository's node_modules when they can be reused. */
export function layDependencies(
  repo: string,
  root: string,
  scratch: string,
  say: (line: string) => void,
): Shipped {
  const lock: Lock = readLock(join(repo, 'package-lock.json'));
  const packages = runtimePackages(lock);
  let why = mismatch(repo, lock, packages);
  if (why === undefined) {
    copyPackages(repo, root, packages);
    why = loadFailure(root, packages);
    if (why === undefined) {
      say(`dependencies: ${packages.length} packages from node_modules, as npm ci built them`);
      return { packages, source: repo };
    }
    rmSync(join(root, LIB, 'node_modules'), { recursive: true, force: true });
  }
  say(`dependencies: node_modules cannot be reused (${why}): npm ci --omit=dev in ${scratch}`);
  const fresh = join(scratch, 'npm');
  freshInstall(repo, fresh);
  if (!existsSync(join(fresh, 'node_modules')))
    throw new Error(`npm ci left no node_modules in ${fresh}`);
  copyPackages(fresh, root, packages);
  const failure = loadFailure(root, packages);
  if (failure !== undefined) throw new Error(`the freshly built modules do not load: ${failure}`);
  return { packages, source: fresh };
}
