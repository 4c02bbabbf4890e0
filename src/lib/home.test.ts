import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HOME, homeFrom } from './home.js';

const top = mkdtempSync(join(tmpdir(), 'riposte-home-'));
after(() => rmSync(top, { recursive: true, force: true }));

function tree(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(top, path)), { recursive: true });
    writeFileSync(join(top, path), text);
  }
}

describe('homeFrom()', () => {
  test("HOME is the clone: the directory above dist/ whose package.json is riposte's", () => {
    const here = dirname(fileURLToPath(import.meta.url));
    assert.equal(HOME, join(here, '..', '..', '..'));
  });

  test('finds the nearest riposte package.json above, past the manifests of other packages', () => {
    tree({
      'usr/lib/riposte/package.json': '{"name":"riposte","version":"1.0.0"}',
      'usr/lib/riposte/dist/package.json': '{"type":"module"}',
      'usr/lib/riposte/dist/bundle/sub/package.json': '{"name":"other"}',
      'usr/lib/riposte/dist/bundle/sub/x.js': '',
    });
    const home = join(top, 'usr/lib/riposte');
    assert.equal(homeFrom(join(home, 'dist/bundle/sub')), home);
    assert.equal(homeFrom(home), home);
  });

  test('a package.json that is not JSON is passed over, not an error', () => {
    tree({ 'a/package.json': '{"name":"riposte"}', 'a/b/package.json': '{ not json' });
    assert.equal(homeFrom(join(top, 'a/b')), join(top, 'a'));
  });

  test('says where it looked when no directory above holds riposte', () => {
    tree({ 'lost/package.json': '{"name":"riposted"}' });
    assert.throws(
      () => homeFrom(join(top, 'lost')),
      new RegExp(`riposte's package.json is in no directory above ${join(top, 'lost')}`),
    );
  });
});
