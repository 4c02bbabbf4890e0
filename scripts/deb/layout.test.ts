import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { adaptUnit, gzip, LIB, layCode } from './layout.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('adaptUnit()', () => {
  const unit = readFileSync(join(ROOT, 'packaging/riposte.service'), 'utf8');

  test("adaptUnit() runs the package's /usr/bin/riposte, to start and to reload", () => {
    const adapted = adaptUnit(unit);
    assert.match(adapted, /^ExecStart=\/usr\/bin\/riposte start -c \/etc\/riposte\/$/m);
    assert.match(adapted, /^ExecReload=\/usr\/bin\/riposte reload$/m);
    assert.doesNotMatch(adapted, /\/usr\/bin\/env/);
  });

  test('adaptUnit() replaces the instructions for copying the unit by hand', () => {
    const adapted = adaptUnit(unit);
    assert.doesNotMatch(adapted, /cp riposte\.service/);
    assert.match(adapted, /^# systemd unit of riposte, installed by its Debian package/);
    assert.match(adapted, /^\[Unit\]$/m);
  });

  test('adaptUnit() refuses a unit whose ExecStart it does not know', () => {
    assert.throws(() => adaptUnit('[Service]\nExecStart=/opt/riposte start\n'), {
      message: 'cannot adapt packaging/riposte.service: no "ExecStart=/usr/bin/env riposte …" line',
    });
  });
});

describe('gzip()', () => {
  test('gzip() compresses at level 9 with no name and no time, as gzip -9n', () => {
    const packed = gzip('text');
    assert.equal(gunzipSync(packed).toString(), 'text');
    assert.equal(packed.readUInt32LE(4), 0, 'mtime');
    assert.equal(packed[3]! & 0x08, 0, 'no file name');
    assert.equal(packed[8], 2, 'XFL: maximum compression');
  });
});

describe('layCode()', () => {
  test('layCode() ships the bundle as built, and a manifest of the shipped keys', () => {
    const repo = mkdtempSync(join(tmpdir(), 'riposte-layout-'));
    try {
      const files: Record<string, string> = {
        'package.json': '{"name":"riposte","version":"1.0.0","type":"module","scripts":{}}',
        'dist/src/main.js': '',
        'dist/src/lib/x.js': '',
        'dist/bundle/main.js': '',
        'dist/bundle/jsonnet.js': '',
        'dist/bundle/chunk-A.js': '',
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(repo, path)), { recursive: true });
        writeFileSync(join(repo, path), text);
      }
      const root = join(repo, 'tree');
      layCode({ repo, root, version: '1.0.0+1', date: '2026-01-01' });
      const lib = join(root, LIB);
      assert.deepEqual(readdirSync(join(lib, 'dist'), { recursive: true }).sort(), [
        'bundle',
        'bundle/chunk-A.js',
        'bundle/jsonnet.js',
        'bundle/main.js',
      ]);
      assert.deepEqual(JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')), {
        name: 'riposte',
        type: 'module',
        version: '1.0.0+1',
      });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
