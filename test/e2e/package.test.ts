// Shipping: `npm pack` gives a tarball that `npm install -g` installs (compiling the native
// modules, from the npm registry) with a working `riposte` command and no warning about
// install scripts; the systemd unit passes `systemd-analyze verify`; every configuration of
// examples/, and the Debian package's, is accepted by `riposte test-config`.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { MAIN, ROOT } from '../daemon/harness.js';
import { type Ran, run, which } from './net.js';

/** Installing compiles libjsonnet, RE2 and SQLite when no prebuilt binary fits: minutes. */
const INSTALL_TIMEOUT = 20 * 60_000;
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  allowScripts?: Record<string, boolean>;
};
const VERSION = MANIFEST.version;
/** The dependencies whose install scripts riposte's package.json allows (npm ≥ 11.16). */
const ALLOWED = Object.keys(MANIFEST.allowScripts ?? {});

/** A command run in the repository, 60 s at most unless told. */
function inRoot(
  argv: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<Ran> {
  return run(argv, { cwd: ROOT, timeout: 60_000, ...options });
}

/** `riposte test-config` exited 0, printed a configuration, and reported no error. */
function accepted(r: Ran, what: string): void {
  assert.equal(r.code, 0, `${what}:\n${r.stderr}`);
  assert.deepEqual(
    r.stderr.split('\n').filter((l) => l.startsWith('error:')),
    [],
    what,
  );
  assert.match(r.stdout, /^streams:/m, what);
}

/**
 * The configurations of examples/: each directory is one configuration made of its files,
 * except seeds/, which holds several (reaction's README examples, and the second seed's
 * server.jsonnet, which imports the other files of its directory).
 */
function exampleConfigs(): string[] {
  const configs: string[] = [];
  for (const entry of readdirSync(join(ROOT, 'examples'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    if (entry.name !== 'seeds') {
      configs.push(`examples/${entry.name}/`);
      continue;
    }
    for (const file of readdirSync(join(ROOT, 'examples/seeds'))) {
      if (/\.(ya?ml|json|jsonnet)$/.test(file)) configs.push(`examples/seeds/${file}`);
    }
    configs.push('examples/seeds/server/server.jsonnet');
  }
  return configs;
}

for (const config of exampleConfigs()) {
  test(`riposte test-config accepts ${config}`, async () => {
    accepted(await inRoot([process.execPath, MAIN, 'test-config', '-c', config]), config);
  });
}

test('package.json allows the install scripts of exactly the dependencies that have one', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }>;
  };
  const scripted = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.hasInstallScript === true && p.dev !== true)
    .map(([path]) => path.replace(/^.*node_modules\//, ''))
    .sort();
  assert.deepEqual([...ALLOWED].sort(), scripted);
});

test("riposte test-config accepts packaging/riposte.yml, the Debian package's configuration", async () => {
  const config = 'packaging/riposte.yml';
  accepted(await inRoot([process.execPath, MAIN, 'test-config', '-c', config]), config);
});

/** The environment of a user's shell: without what `npm test` adds for its own project. */
function userEnv(path: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_(local_prefix|prefix|global_prefix)$)/.test(key))
      continue;
    env[key] = value;
  }
  env['PATH'] = path;
  return env;
}

describe('the npm package', {
  skip: which('npm') === undefined ? 'npm is not installed' : false,
}, () => {
  let dir = '';
  let prefix = '';
  let bin = '';
  let env: NodeJS.ProcessEnv = {};
  let installWarnings: string[] = [];

  before(
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'riposte-pack-'));
      prefix = join(dir, 'prefix');
      bin = join(prefix, 'bin');
      env = userEnv([bin, process.env['PATH'] ?? ''].join(delimiter));
      // No prepack script: dist/ was built before the tests ran, and rebuilding it now would
      // rewrite the files the other tests are running.
      const packed = await inRoot(
        ['npm', 'pack', '--ignore-scripts', '--json', '--pack-destination', dir],
        { env },
      );
      assert.equal(packed.code, 0, packed.stderr);
      const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
      const tarball = join(dir, filename);
      assert.ok(existsSync(tarball), `${tarball} is missing: ${packed.stdout}`);
      // As the README says: a global install reads the packages allowed to run install scripts
      // from the command line only, riposte's own tarball by its path.
      const allow = ['--allow-scripts', [tarball, ...ALLOWED].join(',')];
      const installed = await inRoot(
        ['npm', 'install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', ...allow, tarball],
        { cwd: dir, env, timeout: INSTALL_TIMEOUT },
      );
      assert.equal(
        installed.code,
        0,
        `npm install -g failed:\n${installed.stdout}\n${installed.stderr}`,
      );
      installWarnings = installed.stderr
        .split('\n')
        .filter((l) => l.includes('not yet covered by allowScripts'));
    },
    { timeout: INSTALL_TIMEOUT },
  );

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('installs without npm warning about install scripts nobody allowed', () => {
    assert.deepEqual(installWarnings, []);
  });

  it('installs a riposte command that prints its version', async () => {
    const r = await inRoot([join(bin, 'riposte'), '--version'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), VERSION);
  });

  it('installs a riposte command that accepts the nftables examples it ships', async () => {
    const shipped = join(prefix, 'lib/node_modules/riposte/examples/nftables/');
    accepted(await inRoot([join(bin, 'riposte'), 'test-config', '-c', shipped], { env }), shipped);
  });

  it('has a systemd unit that systemd-analyze verify accepts, riposte in PATH', {
    // .ci/run installs systemd: under CI its absence fails the test rather than skipping it.
    skip:
      which('systemd-analyze') === undefined && process.env.CI !== 'true'
        ? 'systemd-analyze is not installed'
        : false,
  }, async () => {
    assert.ok(which('systemd-analyze') !== undefined, 'systemd-analyze is not installed');
    const unit = join(ROOT, 'packaging/riposte.service');
    // --man=no: the unit's man page is not installed by npm; the Debian package's test
    // checks that the page it installs is there.
    const r = await inRoot(['systemd-analyze', 'verify', '--man=no', unit], { env });
    assert.equal(r.code, 0, r.stderr);
    // verify exits 0 after unknown keys and values it cannot parse: it only says so.
    const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('riposte.service'));
    assert.deepEqual(said, []);
  });
});
