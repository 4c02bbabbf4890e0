// Black-box tests of who may use the control socket (behaviour §3, §4), with real other
// users (setpriv, no passwd entry needed): the socket of a daemon refuses every other user
// but root, a daemon run by a user other than root finds a socket path it may create, and
// neither the daemon nor the client uses a socket path another user could swap.
// They need root to switch users, and are skipped without it.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type Config, DEADLINE, MAIN, type Sandbox, sandbox, until } from '../daemon/harness.js';
import { cliAs, type Run } from './clients.js';

const ROOT = process.getuid?.() === 0;
const skip = ROOT ? false : 'needs root to run commands as other users';
/** Users that exist only as numbers: nothing else on the machine runs as them. */
const ALICE = 4242;
const MALLORY = 4243;

/** A stream that prints nothing and never ends, and one filter. */
function quiet(sb: Sandbox): Config {
  return {
    patterns: { ip: { type: 'ip' } },
    streams: {
      s: {
        cmd: ['sleep', '100000'],
        filters: { f: { regex: ['fail from <ip>'], actions: { ban: { cmd: ['true'] } } } },
      },
    },
    state_directory: sb.path('state'),
  };
}

/** The environment of a user's session: no XDG_RUNTIME_DIR unless given. */
function envOf(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { XDG_RUNTIME_DIR: _, ...env } = process.env;
  return { ...env, RIPOSTE_TEST_SANDBOX: sb.dir, ...extra };
}

/**
 * The argv of `unshare` that runs `argv` with the sandbox's `tmp/` as its `/tmp`, in a mount
 * namespace of its own, so that a test of the default path under /tmp shares nothing with the
 * machine's. The sandbox and the repository (its riposte), when under /tmp, are mounted again
 * at their places in the new one.
 */
function ownTmp(sb: Sandbox, argv: string[]): string[] {
  const tmp = sb.path('tmp');
  mkdirSync(tmp, { mode: 0o777 });
  chmodSync(tmp, 0o1777);
  const places = [sb.dir, resolve(MAIN, '../../..')].filter(
    (p) => !relative('/tmp', p).startsWith('..'),
  );
  const binds = places.map((p, i) => {
    mkdirSync(join(tmp, relative('/tmp', p)), { recursive: true });
    return `mount --bind "$${2 * i + 1}" "$0/$${2 * i + 2}"`;
  });
  const pairs = places.flatMap((p) => [p, relative('/tmp', p)]);
  const script = [...binds, 'mount --rbind "$0" /tmp', `shift ${pairs.length}`, 'exec "$@"'].join(
    ' && ',
  );
  return ['--mount', '--', 'sh', '-c', script, tmp, ...pairs, ...argv];
}

/**
 * Starts the daemon as `uid` in a sandbox that user may read (and write its state in),
 * with the sandbox's `tmp/` as its `/tmp` with `ownTmp`; resolves with its log and pid once it has
 * started, or fails with it.
 */
async function startAs(
  t: TestContext,
  sb: Sandbox,
  uid: number,
  o: { env: NodeJS.ProcessEnv; socket?: string; ownTmp?: boolean },
) {
  chmodSync(sb.dir, 0o755);
  mkdirSync(sb.path('state'), { recursive: true });
  chownSync(sb.path('state'), uid, uid);
  const file = sb.writeConfig(quiet(sb));
  const args = [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    process.execPath,
    MAIN,
    'start',
    '-c',
    file,
  ];
  if (o.socket !== undefined) args.push('-s', o.socket);
  const [program, argv] =
    o.ownTmp === true ? ['unshare', ownTmp(sb, ['setpriv', ...args])] : ['setpriv', args];
  const child = spawn(program, argv, {
    cwd: sb.dir,
    env: o.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  let exited = false;
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    log += text;
  });
  child.on('close', () => {
    exited = true;
  });
  t.after(() => {
    if (!exited) child.kill('SIGKILL');
  });
  await until('the daemon to start or exit', undefined, () =>
    /INFO {2}riposte \S+ started: /.test(log) || exited ? true : undefined,
  );
  return { log: () => log, exited: () => exited, pid: child.pid! };
}

/** A client command as `uid` in the mount namespace of process `pid` (its own /tmp). */
function cliBeside(pid: number, uid: number, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const argv = [`--target=${pid}`, '--mount', '--', 'setpriv', `--reuid=${uid}`, `--regid=${uid}`];
  argv.push('--clear-groups', process.execPath, MAIN, ...args);
  return new Promise((done) => {
    execFile('nsenter', argv, { env, timeout: DEADLINE }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

test('another user than root and the owner is refused: "permission denied"', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  // A directory anyone may enter: only the socket's own mode keeps Mallory out.
  const directory = sb.path('alice');
  mkdirSync(directory, { mode: 0o755 });
  chownSync(directory, ALICE, ALICE);
  const socket = join(directory, 'riposte.sock');
  const daemon = await startAs(t, sb, ALICE, { env: envOf(sb), socket });
  assert.ok(!daemon.exited(), daemon.log());
  assert.equal(lstatSync(socket).mode & 0o777, 0o600);
  assert.equal(lstatSync(socket).uid, ALICE);
  const denied = `riposte: permission denied on ${socket}: run as the daemon's user or as root\n`;
  for (const args of [['show'], ['flush'], ['status'], ['trigger', 's.f', 'ip=192.0.2.1']]) {
    const r = await cliAs(MALLORY, [...args, '-s', socket], envOf(sb));
    assert.deepEqual(r, { code: 1, stdout: '', stderr: denied }, args[0]);
  }
  assert.deepEqual(await cliAs(ALICE, ['show', '-s', socket], envOf(sb)), {
    code: 0,
    stdout: '{}\n',
    stderr: '',
  });
  assert.deepEqual(await cliAs(0, ['show', '-s', socket], envOf(sb)), {
    code: 0,
    stdout: '{}\n',
    stderr: '',
  });
});

test("a root daemon's socket refuses the user nobody", { skip }, async (t) => {
  const sb = sandbox(t);
  chmodSync(sb.dir, 0o755);
  await sb.started(quiet(sb));
  const r = await cliAs(65534, ['show', '-s', sb.socket], envOf(sb));
  assert.deepEqual(r, {
    code: 1,
    stdout: '',
    stderr: `riposte: permission denied on ${sb.socket}: run as the daemon's user or as root\n`,
  });
});

test('a daemon of a user other than root listens on $XDG_RUNTIME_DIR/riposte/riposte.sock by default', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const runtime = sb.path('run');
  mkdirSync(runtime, { mode: 0o700 });
  chownSync(runtime, ALICE, ALICE);
  const env = envOf(sb, { XDG_RUNTIME_DIR: runtime });
  const daemon = await startAs(t, sb, ALICE, { env });
  const socket = join(runtime, 'riposte', 'riposte.sock');
  assert.match(daemon.log(), new RegExp(`control socket ${socket}; `));
  assert.equal(lstatSync(join(runtime, 'riposte')).mode & 0o777, 0o700);
  assert.equal(lstatSync(socket).mode & 0o777, 0o600);
  // The user's own client finds it without -s.
  assert.deepEqual(await cliAs(ALICE, ['show'], env), { code: 0, stdout: '{}\n', stderr: '' });
  assert.deepEqual(await cliAs(ALICE, ['status', '-f', 'json'], env).then((r) => r.code), 0);
});

test('without XDG_RUNTIME_DIR the default socket is /tmp/riposte-UID/riposte.sock', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const uid = 4244;
  // The daemon and its client see the sandbox's tmp/ as /tmp: the test's own, not the machine's.
  const daemon = await startAs(t, sb, uid, { env: envOf(sb), ownTmp: true });
  assert.match(daemon.log(), new RegExp(`control socket /tmp/riposte-${uid}/riposte.sock; `));
  const info = lstatSync(sb.path('tmp', `riposte-${uid}`));
  assert.deepEqual([info.uid, info.mode & 0o777], [uid, 0o700]);
  assert.deepEqual(await cliBeside(daemon.pid, uid, ['show'], envOf(sb)), {
    code: 0,
    stdout: '{}\n',
    stderr: '',
  });
});

test('a socket directory that belongs to another user is refused: they could replace the socket', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  const directory = sb.path('theirs');
  mkdirSync(directory, { mode: 0o777 });
  chmodSync(directory, 0o777);
  chownSync(directory, MALLORY, MALLORY);
  const socket = join(directory, 'riposte.sock');
  const daemon = await startAs(t, sb, ALICE, { env: envOf(sb), socket });
  await until('the daemon to exit', undefined, () => (daemon.exited() ? true : undefined));
  assert.match(
    daemon.log(),
    new RegExp(
      `ERROR cannot listen on ${socket}: its directory ${directory} belongs to another user \\(uid ${MALLORY}\\), who could replace the socket; choose another with -s\n$`,
    ),
  );
});

test('a socket directory that other users may write to is refused, sticky or not', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  for (const [name, mode] of [
    ['open', 0o777],
    ['shared', 0o1777],
  ] as const) {
    const directory = sb.path(name);
    mkdirSync(directory);
    chmodSync(directory, mode);
    const socket = join(directory, 'riposte.sock');
    const daemon = sb.start(quiet(sb), { socket });
    assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
    const shown = mode.toString(8).padStart(4, '0');
    assert.ok(
      daemon.log.endsWith(
        `ERROR cannot listen on ${socket}: its directory ${directory} is writable by other users (mode ${shown}), who could replace the socket; choose another with -s\n`,
      ),
      daemon.log,
    );
  }
});

test('a directory above the socket that other users may write to is refused unless it is sticky', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  mkdirSync(sb.path('open'));
  chmodSync(sb.path('open'), 0o777);
  const socket = sb.path('open', 'riposte', 'riposte.sock');
  const refused = sb.start(quiet(sb), { socket });
  assert.deepEqual(await refused.waitExit(), { code: 1, signal: null });
  assert.ok(
    refused.log.endsWith(
      `ERROR cannot listen on ${socket}: ${sb.path('open')}, above its directory, is writable by other users (mode 0777), who could replace the socket; choose another with -s\n`,
    ),
    refused.log,
  );
  assert.throws(() => lstatSync(sb.path('open', 'riposte')), { code: 'ENOENT' });
  // /tmp is such a directory, sticky: others may add names to it, not take ours.
  mkdirSync(sb.path('shared'));
  chmodSync(sb.path('shared'), 0o1777);
  const mine = sb.path('shared', 'riposte', 'riposte.sock');
  await sb.started(quiet(sb), { socket: mine });
  assert.equal(lstatSync(sb.path('shared', 'riposte')).mode & 0o7777, 0o700);
});

test("root's client refuses a socket that another user put in a directory they may write to", {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  chmodSync(sb.dir, 0o755);
  const shared = sb.path('shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const planted = join(shared, 'x.sock');
  const listen = `require('node:net').createServer().listen(${JSON.stringify(planted)})`;
  const plant = spawn('setpriv', [
    `--reuid=${MALLORY}`,
    `--regid=${MALLORY}`,
    '--clear-groups',
    process.execPath,
    '-e',
    listen,
  ]);
  t.after(() => plant.kill('SIGKILL'));
  await until('the planted socket', undefined, () => (existsSync(planted) ? true : undefined));
  assert.equal(lstatSync(planted).uid, MALLORY);
  const r = await cliAs(0, ['flush', '-s', planted], envOf(sb));
  assert.deepEqual(r, {
    code: 1,
    stdout: '',
    stderr: `riposte: cannot trust the socket ${planted}: its directory ${shared} is writable by other users (mode 1777), who could have put it there; give the daemon's socket with -s\n`,
  });
});

test('a socket path through a symbolic link is checked, and bound, where the link leads', {
  skip,
}, async (t) => {
  const sb = sandbox(t);
  mkdirSync(sb.path('real'), { mode: 0o700 });
  symlinkSync(sb.path('real'), sb.path('link'));
  const socket = sb.path('link', 'riposte.sock');
  await sb.started(quiet(sb), { socket });
  assert.ok(lstatSync(sb.path('real', 'riposte.sock')).isSocket());
  assert.deepEqual(await cliAs(0, ['show', '-s', socket], envOf(sb)), {
    code: 0,
    stdout: '{}\n',
    stderr: '',
  });
});
