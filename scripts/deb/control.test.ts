import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { conffiles, controlFile, installedSize, md5sums, readmeDescription } from './control.js';

describe('readmeDescription()', () => {
  test('readmeDescription() folds the opening paragraphs, without Markdown, before the first section', () => {
    const readme = `# riposte\n\nriposte reads \`journalctl -f\` and\nbans. See [reaction](https://x).\n\nSecond **one**.\n\n## Install\n\nnot this`;
    assert.equal(
      readmeDescription(readme),
      'riposte reads journalctl -f and bans. See reaction.\n\nSecond one.',
    );
  });

  test('readmeDescription() keeps lines within 78 characters', () => {
    const long = `# x\n\n${'word '.repeat(60)}\n`;
    for (const line of readmeDescription(long).split('\n')) assert.ok(line.length <= 78, line);
  });
});

describe('controlFile()', () => {
  test('controlFile() writes an empty line of the description as " ."', () => {
    const text = controlFile({
      version: '1.0',
      architecture: 'amd64',
      maintainer: 'A <a@example.org>',
      depends: ['nodejs (>= 20)', 'libc6'],
      recommends: ['nftables'],
      installedSize: 12,
      synopsis: 'short',
      description: 'one\n\ntwo',
    });
    assert.match(text, /^Depends: nodejs \(>= 20\), libc6$/m);
    assert.match(text, /^Description: short\n one\n \.\n two\n$/m);
  });
});

describe('the DEBIAN files of a tree', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'riposte-control-'));
    mkdirSync(join(root, 'etc/riposte'), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'etc/riposte/riposte.yml'), 'x');
    writeFileSync(join(root, 'usr/bin/riposte'), 'y'.repeat(1025));
    symlinkSync('../etc', join(root, 'usr/etc'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('conffiles() lists the files under /etc', () => {
    assert.deepEqual(conffiles(root), ['/etc/riposte/riposte.yml']);
  });

  test('md5sums() leaves the conffiles out, and the files a link to a directory leads to', () => {
    assert.match(
      md5sums(root, ['/etc/riposte/riposte.yml']),
      /^[0-9a-f]{32} {2}usr\/bin\/riposte\n$/,
    );
  });

  test('installedSize() counts KiB per file, rounded up, and 1 per directory or link', () => {
    // etc, etc/riposte, usr, usr/bin, usr/etc: 5; riposte.yml: 1; 1025 bytes: 2.
    assert.equal(installedSize(root), 8);
  });
});
