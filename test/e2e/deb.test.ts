// The Debian package, as an admin meets it: `npm run deb`'s builder makes the package (and a
// second one of a higher version), lintian finds no error or warning, dpkg installs it, the
// installed riposte runs, checks the default configuration and starts on it in a network
// namespace with its nftables table, the man pages render, the completion reads the
// configuration, an upgrade keeps a pending ban, and removing and purging leave the machine
// as it was. Root only; the machine must not run systemd (installing would start the real
// service) nor have riposte's package installed. A missing tool skips it, except under CI.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, sleep } from '../daemon/harness.js';
import { type Ran, run, which } from './net.js';

const BUILDER = join(ROOT, 'dist/scripts/deb/build.js');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
const NEXT = `${VERSION}+1`;
const NS = `riposte-deb-${process.pid}`;
const BANNED = '203.0.113.7';
const TOOLS = ['dpkg-deb', 'dpkg-shlibdeps', 'patchelf', 'strip', 'lintian', 'man', 'ip', 'nft'];
/** A build copies and strips the modules; lintian unpacks and reads every file. */
const SLOW = 180_000;

/** CI's .ci/run installs every tool these tests use: there a missing one fails, never skips. */
const IN_CI = process.env.CI === 'true';

/** The tools of `tools` that are not installed. */
function missing(tools: readonly string[]): string[] {
  return tools.filter((t) => which(t) === undefined);
}

/** Skips for a missing tool, except under CI, where the test runs and says what is missing. */
function skipWithout(tools: readonly string[]): string | false {
  const absent = missing(tools);
  return absent.length === 0 || IN_CI ? false : `not installed: ${absent.join(', ')}`;
}

function assertInstalled(tools: readonly string[]): void {
  assert.deepEqual(missing(tools), [], 'not installed, though .ci/run installs them');
}

function cannotRun(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (dpkg, network namespaces, nftables)';
  const absent = skipWithout(TOOLS);
  if (absent !== false) return absent;
  if (existsSync('/run/systemd/system')) {
    return 'systemd runs this machine: installing would start the real service';
  }
  if (existsSync('/usr/lib/riposte') || existsSync('/usr/bin/riposte')) {
    return 'riposte is installed on this machine: the test would replace it';
  }
  return false;
}

/** A command that must succeed; its output. */
async function must(argv: readonly string[], timeout = 60_000): Promise<Ran> {
  const r = await run(argv, { cwd: ROOT, timeout });
  assert.equal(r.code, 0, `${argv.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `dpkg -l riposte`'s status letters ("ii", "rc"), or "" when dpkg does not know it. */
async function status(): Promise<string> {
  const r = await run(['dpkg-query', '-W', `-f=\${db:Status-Abbrev}`, 'riposte']);
  return r.code === 0 ? r.stdout.trim() : '';
}

/** Which of these paths exist. */
function present(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}

/** The runtime directory, where the daemon run as root puts its socket. */
const RUNTIME = '/run/riposte';

/** Paths the package or its maintainer scripts create, beside those `dpkg -L` lists. */
const MADE = [
  '/etc/riposte',
  '/var/lib/riposte',
  RUNTIME,
  '/etc/systemd/system/riposte.service',
  '/etc/systemd/system/multi-user.target.wants/riposte.service',
  '/var/lib/systemd/deb-systemd-helper-enabled/riposte.service.dsh-also',
  '/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/riposte.service',
  '/var/lib/systemd/deb-systemd-helper-masked/riposte.service',
];

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('the Debian package', { skip: cannotRun(), timeout: 10 * 60_000 }, () => {
  let dir = '';
  let socket = '';
  let first = '';
  let second = Promise.resolve('');
  let lint: Promise<Ran> = Promise.resolve({ code: 0, stdout: '', stderr: '' });
  let daemon: ChildProcess | undefined;
  let log = '';
  /** What the machine had before: riposte's status in dpkg, which of the package's paths. */
  let found = { status: '', paths: [] as string[] };
  /** The package's paths (its files, the directories they sit in) and those its scripts make. */
  let paths: string[] = [];

  async function build(version: string): Promise<string> {
    const r = await must([process.execPath, BUILDER, '--out', dir, '--version', version], SLOW);
    return r.stdout.trim();
  }

  async function start(): Promise<void> {
    log = join(dir, `daemon-${Date.now()}.log`);
    const out = openSync(log, 'w');
    daemon = spawn(
      'ip',
      ['netns', 'exec', NS, '/usr/bin/riposte', 'start', '-c', '/etc/riposte/', '-s', socket],
      { stdio: ['ignore', out, out] },
    );
    await until('the daemon to answer on its socket', async () => {
      if (daemon?.exitCode !== null)
        throw new Error(`the daemon exited:\n${readFileSync(log, 'utf8')}`);
      return (await run(['riposte', 'status', '-s', socket])).code === 0;
    });
  }

  async function stop(): Promise<void> {
    const child = daemon;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    // ip netns exec execs riposte: the signal reaches the daemon itself.
    child.kill('SIGTERM');
    await exited;
    daemon = undefined;
  }

  async function bansv4(): Promise<Ran> {
    return run(['ip', 'netns', 'exec', NS, 'nft', 'list', 'set', 'inet', 'riposte', 'bansv4']);
  }

  before(
    async () => {
      assertInstalled(TOOLS);
      dir = mkdtempSync(join(tmpdir(), 'riposte-deb-'));
      socket = join(dir, 'riposte.sock');
      first = await build(VERSION);
      const contents = (await must(['dpkg-deb', '-c', first])).stdout.split('\n');
      paths = [
        ...contents
          .map((l) => /\.(\/\S*?)\/?$/.exec(l)?.[1])
          .filter((p) => p !== undefined && p !== '/'),
        ...MADE,
      ] as string[];
      found = { status: await status(), paths: present(paths) };
      // lintian reads the first package and the upgrade's builds while the other steps run.
      lint = run(['lintian', '--no-tag-display-limit', first], { timeout: SLOW });
      second = build(NEXT);
      second.catch(() => undefined);
    },
    { timeout: SLOW },
  );

  after(async () => {
    await stop().catch(() => undefined);
    if ((await status()) !== '') await run(['dpkg', '--purge', 'riposte']);
    await run(['ip', 'netns', 'del', NS]);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('is named after its version and architecture, and depends on Node and the C libraries', async () => {
    const arch = (await must(['dpkg', '--print-architecture'])).stdout.trim();
    assert.equal(first, join(dir, `riposte_${VERSION}_${arch}.deb`));
    const depends = (await must(['dpkg-deb', '-f', first, 'Depends'])).stdout;
    const major = process.versions.node.split('.')[0]!;
    assert.match(
      depends,
      new RegExp(`^nodejs \\(>= ${major}\\), nodejs \\(<< ${Number(major) + 1}\\), libc6 `),
    );
    assert.equal(
      (await must(['dpkg-deb', '-f', first, 'Recommends'])).stdout.trim(),
      'nftables, ipset, iptables',
    );
  });

  it('holds no test, TypeScript source or source map', async () => {
    const files = (await must(['dpkg-deb', '-c', first])).stdout;
    assert.doesNotMatch(files, /\.test\.js$|\.ts$|\.map$|\/test\/|\/src\/[^ ]*\.cc$/m);
    assert.match(files, /\.\/usr\/lib\/riposte\/build\/riposte-spawner$/m);
    assert.match(files, /\.\/usr\/lib\/riposte\/build\/riposte-stream-guard$/m);
  });

  it('installs with dpkg, quietly where systemd does not run', async () => {
    const r = await must(['dpkg', '-i', first]);
    assert.doesNotMatch(r.stderr, /riposte: /, r.stderr);
    assert.equal(await status(), 'ii');
  });

  it('installs a riposte command that prints its version and accepts /etc/riposte/', async () => {
    assert.equal((await must(['riposte', '--version'])).stdout.trim(), VERSION);
    const r = await must(['riposte', 'test-config', '-c', '/etc/riposte/']);
    assert.match(r.stdout, /^state_directory: \/var\/lib\/riposte$/m);
  });

  it('installs a unit that runs /usr/bin/riposte and that systemd-analyze verify accepts', {
    skip: skipWithout(['systemd-analyze']),
  }, async () => {
    assertInstalled(['systemd-analyze']);
    const unit = '/usr/lib/systemd/system/riposte.service';
    assert.match(
      readFileSync(unit, 'utf8'),
      /^ExecStart=\/usr\/bin\/riposte start -c \/etc\/riposte\/$/m,
    );
    // With its man page check: the package installs riposte(8), which Documentation= names.
    const r = await must(['systemd-analyze', 'verify', unit]);
    // verify exits 0 after keys and values it cannot parse: it only says so.
    const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('riposte.service'));
    assert.deepEqual(said, []);
  });

  it('installs examples whose Jsonnet the installed Jsonnet module evaluates', async () => {
    const r = await must([
      'riposte',
      'test-config',
      '-c',
      '/usr/share/doc/riposte/examples/iptables/',
    ]);
    assert.match(r.stdout, /^streams:/m);
  });

  it('installs man pages that render', async () => {
    for (const [page, title] of [
      ['/usr/share/man/man8/riposte.8.gz', 'RIPOSTE(8)'],
      ['/usr/share/man/man5/riposte.conf.5.gz', 'RIPOSTE.CONF(5)'],
    ] as const) {
      const r = await must(['man', '--warnings', '-l', page]);
      assert.ok(r.stdout.includes(title), r.stdout.slice(0, 200));
      assert.equal(r.stderr, '', page);
    }
  });

  it('installs a completion that offers the filters of /etc/riposte/', async () => {
    const script = [
      'source /usr/share/bash-completion/completions/riposte',
      "COMP_WORDS=(riposte trigger '') COMP_CWORD=2",
      '_riposte',
      `echo "\${COMPREPLY[*]}"`,
    ].join('\n');
    assert.equal((await must(['bash', '-c', script])).stdout.trim(), 'ssh.sshd');
  });

  it('starts on the default configuration with its nftables table, and bans', async () => {
    await must(['ip', 'netns', 'add', NS]);
    await start();
    const table = await must([
      'ip',
      'netns',
      'exec',
      NS,
      'nft',
      'list',
      'table',
      'inet',
      'riposte',
    ]);
    assert.match(table.stdout, /set bansv4/);
    await must(['riposte', 'trigger', '-s', socket, 'ssh.sshd', `ip=${BANNED}`]);
    await until('the ban in the set', async () => (await bansv4()).stdout.includes(BANNED));
  });

  it('stops, removing its table', async () => {
    await stop();
    const tables = await must(['ip', 'netns', 'exec', NS, 'nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /riposte/);
  });

  it('says why it would not start when the configuration has an error', async () => {
    writeFileSync(
      '/etc/riposte/zz-broken.yml',
      'streams:\n  ssh:\n    filters:\n      failedlogin:\n        retry: many\n',
    );
    try {
      const r = await run(['/var/lib/dpkg/info/riposte.postinst', 'configure', VERSION]);
      assert.match(
        `${r.stdout}${r.stderr}`,
        /riposte: not started: riposte test-config -c \/etc\/riposte\/ reports:/,
      );
      assert.match(`${r.stdout}${r.stderr}`, /zz-broken\.yml/);
    } finally {
      rmSync('/etc/riposte/zz-broken.yml');
    }
  });

  it('upgrades in place, keeping the state: the pending ban comes back', {
    timeout: SLOW,
  }, async () => {
    const next = await second;
    await must(['dpkg', '-i', next]);
    assert.equal((await must(['riposte', '--version'])).stdout.trim(), NEXT);
    await start();
    const shown = JSON.parse((await must(['riposte', 'show', '-s', socket, '-f', 'json'])).stdout);
    assert.ok(JSON.stringify(shown).includes(BANNED), JSON.stringify(shown));
    await until('the restored ban in the set', async () =>
      (await bansv4()).stdout.includes(BANNED),
    );
    await stop();
  });

  it('is removed, its configuration and state kept, then purged without a trace', async () => {
    await must(['dpkg', '-r', 'riposte']);
    assert.equal(await status(), 'rc');
    assert.ok(!existsSync('/usr/bin/riposte'));
    assert.ok(existsSync('/etc/riposte/riposte.yml') && existsSync('/var/lib/riposte/riposte.db'));
    await must(['dpkg', '-P', 'riposte']);
    assert.equal(await status(), found.status);
    // /run/riposte is runtime state: a daemon run by hand as root (`npm run demo`) makes it
    // before the package is installed, and the purge removes it whoever made it.
    assert.ok(!existsSync(RUNTIME), `${RUNTIME} is left after the purge`);
    assert.deepEqual(
      present(paths),
      found.paths.filter((p) => p !== RUNTIME),
    );
  });

  it('leaves no table and no namespace behind', async () => {
    const tables = await must(['ip', 'netns', 'exec', NS, 'nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /riposte/);
    await must(['ip', 'netns', 'del', NS]);
    // Other tests may be making namespaces of their own meanwhile: only ours must be gone.
    const names = (await must(['ip', 'netns', 'list'])).stdout
      .split('\n')
      .map((l) => l.split(' ')[0]);
    assert.ok(!names.includes(NS), names.join(' '));
  });

  it('passes lintian without an error or a warning', { timeout: SLOW }, async () => {
    const r = await lint;
    const bad = r.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
    assert.deepEqual(bad, [], r.stdout);
  });
});
