import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Lock, mismatch, readLock, runtimeFiles, runtimePackages } from './modules.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('runtimePackages()', () => {
  const lock: Lock = {
    packages: {
      '': { dependencies: { a: '^1', native: '^2' }, optionalDependencies: { gone: '^1' } },
      'node_modules/a': { version: '1.0.0', dependencies: { b: '^2' } },
      'node_modules/a/node_modules/b': { version: '2.0.0', dependencies: { c: '^1' } },
      'node_modules/b': { version: '1.0.0' },
      'node_modules/c': { version: '1.0.0' },
      'node_modules/native': {
        version: '2.0.0',
        hasInstallScript: true,
        dependencies: { 'node-gyp': '^12', bindings: '^1' },
      },
      'node_modules/bindings': { version: '1.5.0' },
      'node_modules/node-gyp': { version: '12.0.0', dependencies: { tar: '^7' } },
      'node_modules/tar': { version: '7.0.0' },
      'node_modules/typescript': { version: '7.0.0', dev: true },
    },
  };

  test('runtimePackages() follows dependencies as Node resolves them, nearest first', () => {
    assert.deepEqual(runtimePackages(lock), [
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/bindings',
      'node_modules/c',
      'node_modules/native',
    ]);
  });

  test('runtimePackages() leaves out build tools, their dependencies and dev packages', () => {
    const names = runtimePackages(lock);
    for (const out of ['node_modules/node-gyp', 'node_modules/tar', 'node_modules/typescript']) {
      assert.ok(!names.includes(out), out);
    }
  });

  test('runtimePackages() names a dependency the lock lacks', () => {
    const broken: Lock = { packages: { '': { dependencies: { missing: '^1' } } } };
    assert.throws(() => runtimePackages(broken), {
      message: 'cannot resolve "missing" required by riposte in the lock',
    });
  });

  test("runtimePackages() of riposte's lock: its five dependencies and what they load", () => {
    const names = runtimePackages(readLock(join(ROOT, 'package-lock.json')));
    for (const name of ['@hanazuki/node-jsonnet', 'better-sqlite3', 're2', 'yaml', 'commander']) {
      assert.ok(names.includes(`node_modules/${name}`), name);
    }
    assert.ok(!names.some((n) => /node-gyp|cmake-js|prebuild-install/.test(n)), names.join(' '));
  });
});

describe('mismatch()', () => {
  let dir = '';
  const lock: Lock = {
    packages: {
      '': { dependencies: { a: '^1' } },
      'node_modules/a': { version: '1.0.0', integrity: 'sha512-x' },
    },
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-modules-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function install(installed: Lock): void {
    mkdirSync(join(dir, 'node_modules/a'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/a/package.json'), '{"name":"a","version":"1.0.0"}');
    writeFileSync(join(dir, 'node_modules/.package-lock.json'), JSON.stringify(installed));
  }

  test('mismatch() accepts what npm installed from the same lock', () => {
    install(lock);
    assert.equal(mismatch(dir, lock, ['node_modules/a']), undefined);
  });

  test('mismatch() names a package installed at another version', () => {
    install({ packages: { 'node_modules/a': { version: '1.1.0', integrity: 'sha512-y' } } });
    assert.equal(
      mismatch(dir, lock, ['node_modules/a']),
      'node_modules/a is at 1.1.0, the lock says 1.0.0',
    );
  });

  test('mismatch() names a node_modules npm did not write', () => {
    rmSync(join(dir, 'node_modules/.package-lock.json'));
    assert.match(mismatch(dir, lock, ['node_modules/a']) ?? '', /no \.package-lock\.json/);
  });

  test("mismatch() accepts the repository's node_modules, installed by npm ci", () => {
    const real = readLock(join(ROOT, 'package-lock.json'));
    assert.equal(mismatch(ROOT, real, runtimePackages(real)), undefined);
  });
});

describe('runtimeFiles()', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-files-'));
    const files: Record<string, string> = {
      'package.json': '{"name":"p","bin":{"p":"./cli.js"}}',
      'index.js': '',
      'cli.js': '#!/usr/bin/env node',
      LICENSE: 'MIT',
      'README.md': '',
      'index.d.ts': '',
      'index.js.map': '',
      '.npmignore': '',
      'dist/doc/document.js': '',
      'dist/test-events.js': '',
      'test/test.js': '',
      'docs/guide.js': '',
      'node_modules/dep/index.js': '',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('runtimeFiles() keeps the code, even in folders named like documentation below the top', () => {
    assert.deepEqual(runtimeFiles(dir), [
      'dist/doc/document.js',
      'dist/test-events.js',
      'index.js',
      'package.json',
    ]);
  });

  test('runtimeFiles() of a native package keeps its modules, not its sources or build tree', () => {
    const native = join(dir, 'native');
    cpSync(join(dir, 'package.json'), join(native, 'package.json'));
    const files = [
      'binding.gyp',
      'lib/index.js',
      'src/addon.cc',
      'deps/sqlite3.c',
      'build/Makefile',
    ];
    for (const f of [...files, 'build/Release/addon.node', 'build/Release/test_extension.node']) {
      mkdirSync(dirname(join(native, f)), { recursive: true });
      writeFileSync(join(native, f), '');
    }
    assert.deepEqual(runtimeFiles(native), [
      'build/Release/addon.node',
      'lib/index.js',
      'package.json',
    ]);
  });
});
