// The `riposte` command line as a user meets it: version flags, and commands that end
// quietly when the reader of their output goes away (`riposte … | head`).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = join(HERE, 'main.js');
const VERSION = (
  JSON.parse(readFileSync(join(HERE, '../../package.json'), 'utf8')) as { version: string }
).version;

for (const flag of ['-v', '-V', '--version']) {
  test(`riposte ${flag} prints the version`, () => {
    const run = spawnSync(process.execPath, [MAIN, flag], { encoding: 'utf8' });
    assert.deepEqual([run.status, run.stdout, run.stderr], [0, `${VERSION}\n`, '']);
  });
}

/**
 * Runs riposte with `args` on an endless stdin, reads the first chunk of its output and
 * closes the pipe, as `head` does; resolves with its exit status and stderr.
 */
function readFirstChunk(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.on('error', () => undefined);
    const block = 'Failed password for root from 192.0.2.1 port 22 ssh2\n'.repeat(2000);
    const feed = (): void => {
      while (child.stdin.writable && child.stdin.write(block));
      if (child.stdin.writable) child.stdin.once('drain', feed);
    };
    feed();
    child.on('exit', (code) => {
      child.stdin.destroy();
      resolve({ code, stderr });
    });
  });
}

test('riposte test-regex ends quietly with status 0 when its reader goes away', async () => {
  assert.deepEqual(await readFirstChunk(['test-regex', 'from \\d+']), { code: 0, stderr: '' });
});
