// The DEBIAN/ directory of the package: control (fields, dependencies, the description from
// the README), conffiles, md5sums, and the Installed-Size that dpkg-gencontrol would compute.
// Receives the staged tree and what the build knows (version, architecture, maintainer);
// sends the files' texts.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface ControlFields {
  readonly version: string;
  readonly architecture: string;
  readonly maintainer: string;
  readonly depends: readonly string[];
  readonly recommends: readonly string[];
  readonly installedSize: number;
  readonly synopsis: string;
  readonly description: string;
}

/**
 * Every path under `root` but DEBIAN/, relative to it, directories included; a link is a
 * path of its own, never followed (readdirSync's `recursive` follows links to directories).
 */
export function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (path === 'DEBIAN') continue;
      out.push(path);
      if (entry.isDirectory()) visit(path);
    }
  };
  visit('');
  return out.sort();
}

/** KiB, as dpkg-gencontrol counts: each file rounded up to 1 KiB, 1 for anything else. */
export function installedSize(root: string): number {
  let kib = 0;
  for (const path of walk(root)) {
    const stat = lstatSync(join(root, path));
    kib += stat.isFile() ? Math.ceil(stat.size / 1024) : 1;
  }
  return kib;
}

/** DEBIAN/md5sums: a line per regular file except the conffiles, which dpkg tracks itself. */
export function md5sums(root: string, conffiles: readonly string[]): string {
  const skip = new Set(conffiles.map((c) => c.replace(/^\//, '')));
  return walk(root)
    .filter((p) => lstatSync(join(root, p)).isFile() && !skip.has(p))
    .map(
      (p) =>
        `${createHash('md5')
          .update(readFileSync(join(root, p)))
          .digest('hex')}  ${p}\n`,
    )
    .join('');
}

/** DEBIAN/conffiles: the files installed under /etc. */
export function conffiles(root: string): string[] {
  return walk(join(root, 'etc'))
    .filter((p) => lstatSync(join(root, 'etc', p)).isFile())
    .map((p) => `/${relative(root, join(root, 'etc', p))}`);
}

/** Plain text from inline Markdown: code marks and link targets dropped. */
function plain(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1');
}

/** Text folded into lines of at most `width` characters. */
function fold(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** The README's opening paragraphs (before its first section), as a long description. */
export function readmeDescription(readme: string): string {
  const intro = readme.split(/^## /m)[0]!.replace(/^# .*\n/, '');
  const paragraphs = intro
    .split(/\n\s*\n/)
    .map((p) => plain(p.trim()))
    .filter((p) => p !== '');
  return paragraphs.map((p) => fold(p, 78).join('\n')).join('\n\n');
}

/** DEBIAN/control. */
export function controlFile(fields: ControlFields): string {
  const description = fields.description
    .split('\n')
    .map((l) => (l === '' ? ' .' : ` ${l}`))
    .join('\n');
  return [
    'Package: riposte',
    `Version: ${fields.version}`,
    `Architecture: ${fields.architecture}`,
    `Maintainer: ${fields.maintainer}`,
    `Installed-Size: ${fields.installedSize}`,
    `Depends: ${fields.depends.join(', ')}`,
    `Recommends: ${fields.recommends.join(', ')}`,
    'Section: net',
    'Priority: optional',
    `Description: ${fields.synopsis}`,
    description,
    '',
  ].join('\n');
}
