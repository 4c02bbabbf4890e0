// /usr/share/doc/riposte/copyright in Debian's machine-readable format: the template
// packaging/deb/copyright (riposte, the libraries compiled into the native modules, licence
// texts) with a paragraph per shipped npm package, from its package.json and licence file.
// Receives the template and the staged packages; sends the file's text, or the reason it
// cannot be complete.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ShippedPackage {
  /** Where it is installed, relative to the package root: `usr/lib/riposte/node_modules/yaml`. */
  readonly installed: string;
  /** Its directory where npm installed it, with its licence file. */
  readonly dir: string;
}

const MARKER = '@NODE_MODULES@';

/** An SPDX expression (`MIT AND Apache-2.0`) in the copyright format's spelling. */
export function licenceName(spdx: string): string {
  return spdx
    .replace(/[()]/g, '')
    .replace(/\s+AND\s+/g, ' and ')
    .replace(/\s+OR\s+/g, ' or ');
}

const ENTITIES: Readonly<Record<string, string>> = { '&lt;': '<', '&gt;': '>', '&amp;': '&' };

/** The copyright lines of a licence file: "Copyright (c) 2017 Joshua Wise" → "2017 Joshua Wise". */
export function copyrightLines(text: string): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^[\s/#*]+/, '').trim())
    .filter((l) => /^copyright\b(?!\s+(notice|holders?|owner))/i.test(l))
    .map((l) =>
      l
        .replace(/^copyright\s*(\(c\)|©)?\s*/i, '')
        .replace(/&(lt|gt|amp);/g, (e) => ENTITIES[e]!)
        .replace(/\.\s*all rights reserved\.?$/i, ''),
    )
    .filter((l) => l !== '');
  return [...new Set(lines)];
}

function licenceFile(dir: string): string | undefined {
  const name = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return name === undefined ? undefined : join(dir, name);
}

/** The paragraph of one npm package. */
export function paragraph(pkg: ShippedPackage): { text: string; licence: string } {
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
    name?: string;
    license?: string;
    author?: string | { name?: string };
  };
  if (manifest.license === undefined) {
    throw new Error(`cannot write the copyright file: ${pkg.installed} declares no licence`);
  }
  const file = licenceFile(pkg.dir);
  const author = typeof manifest.author === 'string' ? manifest.author : manifest.author?.name;
  const holders = file === undefined ? [] : copyrightLines(readFileSync(file, 'utf8'));
  if (holders.length === 0) holders.push(author ?? `the authors of ${manifest.name}`);
  const licence = licenceName(manifest.license);
  const text = [
    `Files: ${pkg.installed}/*`,
    `Copyright: ${holders.join('\n ')}`,
    `License: ${licence}`,
  ].join('\n');
  return { text, licence };
}

/** The licence names a template gives a text for, in its stand-alone paragraphs. */
function licenceTexts(template: string): Set<string> {
  return new Set(
    template
      .split(/\n\n+/)
      .filter((p) => p.startsWith('License: '))
      .map((p) => /^License: (.*)$/m.exec(p)![1]!.trim()),
  );
}

/** The copyright file: the template with the npm packages' paragraphs at its marker. */
export function copyrightFile(template: string, packages: readonly ShippedPackage[]): string {
  if (!template.includes(MARKER)) throw new Error(`the copyright template has no ${MARKER}`);
  const texts = licenceTexts(template);
  const paragraphs = packages.map((pkg) => {
    const p = paragraph(pkg);
    const missing = p.licence.split(/ (?:and|or) /).filter((name) => !texts.has(name));
    if (missing.length > 0) {
      throw new Error(
        `cannot write the copyright file: packaging/deb/copyright has no text for ${missing.join(', ')} (the licence of ${pkg.installed})`,
      );
    }
    return p.text;
  });
  return template.replace(MARKER, paragraphs.join('\n\n'));
}

/**
 * The compiled files of npm packages (paths relative to the package root) that no paragraph
 * of the template names: each must say which libraries were compiled into it.
 */
export function undescribed(template: string, compiled: readonly string[]): string[] {
  const patterns = [...template.matchAll(/^Files: (.*)$/gm)].flatMap((m) => m[1]!.split(/\s+/));
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const covers = (file: string) => patterns.some((p) => p !== '*' && glob(p).test(file));
  return compiled.filter((file) => !covers(file));
}
