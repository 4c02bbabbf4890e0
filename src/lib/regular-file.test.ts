// readRegularFile() on a regular file, a fifo, devices, a directory, a missing file and files
// past the size bound.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readRegularFile } from './regular-file.js';

const dir = mkdtempSync(join(tmpdir(), 'riposte-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('readRegularFile() reads a regular file', async () => {
  writeFileSync(join(dir, 'a.yml'), 'concurrency: 1\n');
  assert.deepEqual(await readRegularFile(join(dir, 'a.yml'), 100), {
    ok: true,
    text: 'concurrency: 1\n',
  });
});

test('readRegularFile() refuses a fifo at once, without waiting for a writer', async () => {
  const path = join(dir, 'in.fifo');
  assert.equal(spawnSync('mkfifo', [path]).status, 0);
  assert.deepEqual(await readRegularFile(path, 100), {
    ok: false,
    reason: 'a fifo, not a regular file',
  });
});

test('readRegularFile() refuses devices and directories without reading them', async () => {
  const rows: [string, string][] = [
    ['/dev/zero', 'a character device, not a regular file'],
    ['/dev/null', 'a character device, not a regular file'],
    [dir, 'a directory, not a regular file'],
    [join(dir, 'missing'), 'no such file or directory'],
  ];
  for (const [path, reason] of rows)
    assert.deepEqual(await readRegularFile(path, 100), { ok: false, reason }, path);
});

test('readRegularFile() refuses a file larger than the bound, or cuts it when told', async () => {
  writeFileSync(join(dir, 'big'), 'x'.repeat(3 * 1024 * 1024));
  assert.deepEqual(await readRegularFile(join(dir, 'big'), 2 * 1024 * 1024), {
    ok: false,
    reason: 'larger than 2 MiB, more than a configuration file can be',
  });
  const cut = await readRegularFile(join(dir, 'big'), 10, { cut: true });
  assert.deepEqual(cut, { ok: true, text: 'x'.repeat(11) });
});
