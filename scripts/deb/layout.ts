// Lays out the package's tree from the repository: riposte's compiled code and manifest under
// /usr/lib/riposte/, the native spawner, the filter library, /usr/bin/riposte, the systemd
// unit with the package's paths, the default configuration, the documentation, the man pages
// and the shell completion. Receives the repository's root and the staged tree's root; sends
// files into the tree.

import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bashCompletion, type CommandHelp, commandsOf, optionsOf } from './completion.js';
import { manPages } from './man.js';
import { must } from './run.js';

export const LIB = 'usr/lib/riposte';
export const DOC = 'usr/share/doc/riposte';

export interface Build {
  readonly repo: string;
  readonly root: string;
  readonly version: string;
  /** YYYY-MM-DD of the commit built, for the man pages. */
  readonly date: string;
}

function write(file: string, text: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

/** gzip -9n: no name, no time, so that two builds of one commit give the same bytes. */
export function gzip(text: string): Buffer {
  return gzipSync(Buffer.from(text), { level: 9 });
}

/** The bundled code (dist/bundle/, made whole by each build), and a manifest that says version and module type. */
export function layCode(b: Build): void {
  const from = join(b.repo, 'dist', 'bundle');
  if (!existsSync(join(from, 'main.js'))) {
    throw new Error(
      'cannot build the package: dist/bundle/main.js is missing (run `npm run build`)',
    );
  }
  cpSync(from, join(b.root, LIB, 'dist', 'bundle'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(b.repo, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const keep = ['name', 'description', 'license', 'type', 'engines', 'dependencies'];
  const shipped = Object.fromEntries(
    keep.filter((k) => k in manifest).map((k) => [k, manifest[k]]),
  );
  write(
    join(b.root, LIB, 'package.json'),
    `${JSON.stringify({ ...shipped, version: b.version }, null, 2)}\n`,
  );
  const library = join(b.repo, 'library');
  if (existsSync(library)) cpSync(library, join(b.root, LIB, 'library'), { recursive: true });
}

/** The native helpers of each package, compiled by scripts/build-native.mjs with its flags. */
export const HELPERS = ['riposte-spawner', 'riposte-stream-guard'];

/**
 * The native helpers (the spawner starts every action, the guard makes each stream's command
 * die with riposte), compiled by scripts/build-native.mjs with Debian's hardening flags.
 */
export function layHelpers(b: Build): void {
  const directory = join(b.root, LIB, 'build');
  // All of Debian's hardening, bindnow and PIE included.
  const hardening = { ...process.env, DEB_BUILD_MAINT_OPTIONS: 'hardening=+all' };
  const flags = (name: string) =>
    must(['dpkg-buildflags', '--get', name], { env: hardening }).trim();
  const env = {
    ...process.env,
    CFLAGS: flags('CFLAGS'),
    CPPFLAGS: flags('CPPFLAGS'),
    LDFLAGS: flags('LDFLAGS'),
  };
  const said = must([process.execPath, join(b.repo, 'scripts', 'build-native.mjs'), directory], {
    env,
  });
  for (const helper of HELPERS) {
    if (!existsSync(join(directory, helper)))
      throw new Error(`cannot build the package without build/${helper}: ${said.trim()}`);
  }
}

const WRAPPER = `#!/bin/sh
# riposte, as installed by its Debian package: run by the node the package depends on
# (/usr/bin/node), whatever PATH holds, since its native modules were built for it.
exec /usr/bin/node /${LIB}/dist/bundle/main.js "$@"
`;

/**
 * packaging/riposte.service with the package's command in ExecStart and every other Exec line
 * (ExecReload), and a header saying where it came from.
 */
export function adaptUnit(unit: string): string {
  if (!/^ExecStart=\/usr\/bin\/env riposte /m.test(unit)) {
    throw new Error(
      'cannot adapt packaging/riposte.service: no "ExecStart=/usr/bin/env riposte …" line',
    );
  }
  const body = unit
    .replace(/^(#.*\n)+\n?/, '')
    .replace(/^(Exec\w+)=\/usr\/bin\/env riposte /gm, '$1=/usr/bin/riposte ');
  const header = [
    '# systemd unit of riposte, installed by its Debian package. The configuration is',
    '# /etc/riposte/ (check it with: riposte test-config -c /etc/riposte/); change the unit',
    '# with "systemctl edit riposte", since an upgrade replaces this file.',
    '',
  ];
  return `${header.join('\n')}\n${body}`;
}

/** /usr/bin/riposte, the unit and the default configuration. */
export function laySystem(b: Build): void {
  write(join(b.root, 'usr/bin/riposte'), WRAPPER, 0o755);
  const unit = readFileSync(join(b.repo, 'packaging', 'riposte.service'), 'utf8');
  write(join(b.root, 'usr/lib/systemd/system/riposte.service'), adaptUnit(unit));
  copyFileSync(
    join(b.repo, 'packaging', 'riposte.yml'),
    join(mkdirP(join(b.root, 'etc/riposte')), 'riposte.yml'),
  );
}

function mkdirP(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The README and the examples (but the demo, which runs only from a clone: its scripts are
 * found relative to the repository), the changelog a native package carries, and a link to
 * the library beside the examples. Runs after layCode, which copies the library.
 */
export function layDocs(b: Build, changelog: string): void {
  const doc = mkdirP(join(b.root, DOC));
  copyFileSync(join(b.repo, 'README.md'), join(doc, 'README.md'));
  cpSync(join(b.repo, 'examples'), join(doc, 'examples'), {
    recursive: true,
    filter: (path) => !path.startsWith(join(b.repo, 'examples', 'demo')),
  });
  write(join(doc, 'changelog.gz'), gzip(changelog));
  // Examples import the library as the repository lays it out (`../../library/…`).
  if (existsSync(join(b.root, LIB, 'library'))) {
    symlinkSync(relative(doc, join(b.root, LIB, 'library')), join(doc, 'library'));
  }
}

/** riposte(8) and riposte.conf(5), from the README. */
export function layManPages(b: Build): void {
  const readme = readFileSync(join(b.repo, 'README.md'), 'utf8');
  for (const page of manPages(readme, { version: b.version, date: b.date })) {
    const section = page.file.slice(page.file.lastIndexOf('.') + 1);
    write(join(b.root, 'usr/share/man', `man${section}`, `${page.file}.gz`), gzip(page.text));
  }
}

/** The staged riposte's help, read to write the completion. */
function help(b: Build, command?: string): string {
  const main = join(b.root, LIB, 'dist', 'bundle', 'main.js');
  return must([process.execPath, main, 'help', ...(command === undefined ? [] : [command])]);
}

export function layCompletion(b: Build): void {
  const commands: CommandHelp[] = commandsOf(help(b)).map((c) => ({
    ...c,
    options: c.name === 'help' ? [] : optionsOf(help(b, c.name)),
  }));
  write(join(b.root, 'usr/share/bash-completion/completions/riposte'), bashCompletion(commands));
}

/** Modes as dh_fixperms leaves them: 0755 directories and programs, 0644 everything else. */
export function fixModes(root: string, programs: readonly string[]): void {
  const exec = new Set(programs);
  const visit = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (path === 'DEBIAN') continue;
      if (entry.isDirectory()) {
        chmodSync(join(root, path), 0o755);
        visit(path);
      } else if (entry.isFile()) chmodSync(join(root, path), exec.has(path) ? 0o755 : 0o644);
    }
  };
  visit('');
}
