import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { copyrightFile, copyrightLines, licenceName, undescribed } from './copyright.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const TEMPLATE = readFileSync(join(ROOT, 'packaging/deb/copyright'), 'utf8');

describe('copyrightLines()', () => {
  const rows: readonly [string, string[]][] = [
    ['Copyright (c) 2017 Joshua Wise\n\nPermission is hereby granted', ['2017 Joshua Wise']],
    ['Copyright Eemeli Aro <eemeli@gmail.com>', ['Eemeli Aro <eemeli@gmail.com>']],
    ['// Copyright (c) 2009 The RE2 Authors. All rights reserved.', ['2009 The RE2 Authors']],
    [
      'Copyright (c) 2012 Nathan Rajlich &lt;nathan@tootallnate.net&gt;',
      ['2012 Nathan Rajlich <nathan@tootallnate.net>'],
    ],
    ['The above copyright notice and this permission notice shall be included', []],
    ['COPYRIGHT HOLDERS BE LIABLE', []],
  ];
  for (const [text, expected] of rows) {
    test(`copyrightLines() reads ${JSON.stringify(text.slice(0, 40))}`, () => {
      assert.deepEqual(copyrightLines(text), expected);
    });
  }
});

describe('licenceName()', () => {
  test('licenceName() spells SPDX operators as the copyright format does', () => {
    assert.equal(licenceName('(MIT AND Apache-2.0)'), 'MIT and Apache-2.0');
    assert.equal(licenceName('MIT OR BSD-3-Clause'), 'MIT or BSD-3-Clause');
  });
});

describe('copyrightFile()', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-copyright-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function pkg(name: string, license: string, text: string): { installed: string; dir: string } {
    const at = join(dir, name);
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name, license }));
    writeFileSync(join(at, 'LICENSE'), text);
    return { installed: `usr/lib/riposte/node_modules/${name}`, dir: at };
  }

  test('copyrightFile() writes a paragraph per package where the template says', () => {
    const out = copyrightFile(TEMPLATE, [pkg('yaml', 'ISC', 'Copyright Eemeli Aro\n')]);
    assert.match(
      out,
      /^Files: usr\/lib\/riposte\/node_modules\/yaml\/\*\nCopyright: Eemeli Aro\nLicense: ISC$/m,
    );
    assert.doesNotMatch(out, /@NODE_MODULES@/);
  });

  test('copyrightFile() refuses a licence the template gives no text for', () => {
    assert.throws(() => copyrightFile(TEMPLATE, [pkg('odd', 'WTFPL', 'Copyright Someone\n')]), {
      message:
        'cannot write the copyright file: packaging/deb/copyright has no text for WTFPL (the licence of usr/lib/riposte/node_modules/odd)',
    });
  });
});

describe('undescribed()', () => {
  test('undescribed() names the compiled files no paragraph of the template covers', () => {
    const compiled = [
      'usr/lib/riposte/node_modules/re2/build/Release/re2.node',
      'usr/lib/riposte/node_modules/@hanazuki/node-jsonnet/build/Release/libjsonnet.so.0',
      'usr/lib/riposte/node_modules/newcomer/build/Release/new.node',
    ];
    assert.deepEqual(undescribed(TEMPLATE, compiled), [
      'usr/lib/riposte/node_modules/newcomer/build/Release/new.node',
    ]);
  });
});
