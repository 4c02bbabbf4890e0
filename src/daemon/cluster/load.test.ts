// The NATS client is loaded only when a configuration shares bans: the daemon's own modules
// never import it, so a daemon without a `cluster` key does not pay its load time. Checked in
// a child process whose module resolution refuses the client's packages.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const HOOKS = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@nats-io/')) throw new Error('the NATS client was loaded: ' + specifier);
  return next(specifier, context);
}
`;

/** Imports `module` with the NATS client's packages refused; the child's status and stderr. */
function importRefusingNats(module: URL): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rload-'));
  try {
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    const hooks = pathToFileURL(join(dir, 'hooks.mjs')).href;
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(hooks)});\n`,
    );
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(dir, 'register.mjs')).href,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(module.href)});`,
      ],
      { encoding: 'utf8' },
    );
    return { status: child.status, stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the daemon loads without the NATS client, which only the engine module imports', () => {
  const daemon = importRefusingNats(new URL('../daemon.js', import.meta.url));
  assert.equal(daemon.status, 0, daemon.stderr);
  const engine = importRefusingNats(new URL('./nats.js', import.meta.url));
  assert.notEqual(engine.status, 0);
  assert.match(engine.stderr, /the NATS client was loaded: @nats-io\//);
});
