// Black-box tests of the state directory's faults (behaviour §2.5): read-only, full, a
// corrupt state file, another program's SQLite database. riposte never overwrites a file it
// cannot trust, and keeps banning when it cannot write.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { type Config, ROOT, type Sandbox, sandbox, sleep } from './harness.js';

const ROOT_ONLY = process.getuid?.() !== 0 ? 'mounting a tmpfs needs root' : false;

/** `fail from <ip>` bans (recorded in actions.log) and unbans an hour later, or runs `actions`. */
function config(sb: Sandbox, state: string, actions?: Config): Config {
  const f = {
    regex: ['fail from <ip>'],
    actions: actions ?? {
      ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
      unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
    },
  };
  return sb.fifoConfig({ f }, { state_directory: state });
}

/** Starts the daemon on a state directory it must refuse; checks the exit and the message. */
async function refused(sb: Sandbox, state: string, message: string): Promise<void> {
  const daemon = sb.start(config(sb, state));
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.ok(daemon.log.includes(`ERROR ${message}\n`), daemon.log);
  assert.equal(daemon.logLines('stream s: started').length, 0);
}

test('a read-only state directory stops start-up with a clear error', {
  skip: ROOT_ONLY,
}, async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const state = sb.mountTmpfs('state', 'ro,size=1m');
  assert.ok(state !== undefined, 'cannot mount a tmpfs');
  await refused(
    sb,
    state,
    `cannot open state file ${state}/riposte.db: the file system of ${state} is read-only`,
  );
});

test('a state file on a file system made read-only stops start-up and is left unchanged', {
  skip: ROOT_ONLY,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const state = sb.mountTmpfs('state', 'size=1m');
  assert.ok(state !== undefined, 'cannot mount a tmpfs');
  const daemon = await sb.started(config(sb, state));
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  const before = readFileSync(`${state}/riposte.db`);
  assert.equal(spawnSync('mount', ['-o', 'remount,ro', state]).status, 0);
  const file = `${state}/riposte.db`;
  const again = sb.start(config(sb, state));
  assert.deepEqual(await again.waitExit(), { code: 1, signal: null });
  assert.ok(
    again.log.includes(
      `ERROR cannot open state file ${file}: the file system of ${state} is read-only\n`,
    ),
    again.log,
  );
  assert.deepEqual(readFileSync(file), before);
});

test('a full state directory without reserve: riposte says it cannot write, refuses the bans whose unban it cannot store, and writes once there is room', {
  skip: ROOT_ONLY,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // Too small for the 4 MiB reserve.
  const state = sb.mountTmpfs('state', 'size=1m');
  assert.ok(state !== undefined, 'cannot mount a tmpfs');
  const cfg = config(sb, state);
  const daemon = await sb.started(cfg);
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  fill(`${state}/filler`);
  // More than the room SQLite already has in its files.
  const addresses = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  input.write(...addresses.map((ip) => `fail from ${ip}`));
  await daemon.waitLog(
    `ERROR state: cannot write ${state}/riposte.db: database or disk is full; new triggers with pending actions are refused`,
  );
  await sb.mark(input, daemon);
  const refused = new Set(
    daemon
      .logLines(/ERROR s\.f: trigger \S+ refused: it cannot be stored/)
      .map((l) => l.split(' ')[4]),
  );
  const banned = new Set(
    sb
      .lines('actions.log')
      .filter((l) => l.startsWith('ban '))
      .map((l) => l.slice(4)),
  );
  t.diagnostic(`${refused.size} refused, ${banned.size} banned`);
  assert.ok(refused.size > 0, 'some triggers are refused');
  assert.deepEqual(
    addresses.filter((ip) => refused.has(ip) === banned.has(ip)),
    [],
    'each address is banned, or refused and not banned',
  );
  rmSync(`${state}/filler`);
  input.write('fail from 192.0.2.3');
  await daemon.waitLog(`INFO  state: writing to ${state}/riposte.db works again`);
  await sb.mark(input, daemon);
  // What was stored, and what could not be written then, is durable now: it survives a crash.
  await sb.settle(daemon);
  await daemon.crash();
  await sb.started(cfg);
  const report = await sb.show();
  const stored = ['192.0.2.1', ...addresses.filter((ip) => banned.has(ip)), '192.0.2.3'];
  assert.deepEqual(Object.keys(report['s']?.['f'] ?? {}).sort(), stored.sort());
});

test('a full disk and a SIGKILL: riposte spends its reserve, restarts on the still full disk, and unbans every address it banned', {
  skip: ROOT_ONLY,
}, async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const state = sb.mountTmpfs('state', 'size=16m');
  assert.ok(state !== undefined, 'cannot mount a tmpfs');
  const cfg = config(sb, state, {
    ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
    unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '2s' },
  });
  const daemon = await sb.started(cfg);
  assert.equal(statSync(`${state}/riposte.reserve`).size, 4 << 20);
  fill(`${state}/filler`);
  const addresses = Array.from({ length: 30 }, (_, i) => `192.0.2.${i + 1}`);
  input.write(...addresses.map((ip) => `fail from ${ip}`));
  await daemon.waitLog(
    `ERROR state: the file system of ${state} is full: riposte gave back its 4 MiB reserve to go on storing triggers`,
  );
  await sb.mark(input, daemon);
  assert.deepEqual(daemon.logLines(/: trigger \S+ refused/), []);
  const bans = addresses.map((ip) => `ban ${ip}`);
  assert.deepEqual(sb.lines('actions.log'), [...bans, 'marker 1']);
  await daemon.crash();
  // Full again, and no reserve left: the restart must still happen.
  fill(`${state}/filler2`);
  const again = await sb.started(cfg);
  // The 30 bans, and the marker's trigger if its end had not been written.
  assert.match(again.log, /INFO {2}state: restored 3[01] trigger\(s\)/);
  assert.ok(again.log.includes(`ERROR state: no room in ${state} for riposte's reserve (4 MiB)`));
  const unbanned = await again.waitFile(
    'actions.log',
    (l) => l.filter((x) => x.startsWith('unban')).length >= 30,
  );
  assert.deepEqual(
    unbanned.filter((l) => l.startsWith('unban')).sort(),
    addresses.map((ip) => `unban ${ip}`).sort(),
  );
  // Room again: the writes go through, and the reserve is made again.
  rmSync(`${state}/filler`);
  rmSync(`${state}/filler2`);
  for (let i = 1; !again.log.includes('reserve made again'); i++) {
    input.write(`fail from 198.51.100.${i}`);
    await sleep(500);
    assert.ok(i < 60, `the reserve is not made again:\n${again.log}`);
  }
  assert.equal(statSync(`${state}/riposte.reserve`).size, 4 << 20);
});

test('a second daemon on the same state directory is refused while the first one runs', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const cfg = config(sb, sb.path('state'));
  const first = await sb.started(cfg);
  input.write('fail from 192.0.2.1');
  await sb.mark(input, first);
  const second = sb.start(cfg, { socket: sb.path('second.sock') });
  assert.deepEqual(await second.waitExit(), { code: 1, signal: null });
  const file = sb.path('state', 'riposte.db');
  assert.ok(
    second.log.includes(
      `ERROR cannot open state file ${file}: another process holds it: is riposte already running with this state_directory?\n`,
    ),
    second.log,
  );
  // The first one goes on, its state intact.
  input.write('fail from 192.0.2.2');
  await sb.mark(input, first);
  const report = await sb.show();
  assert.deepEqual(Object.keys(report['s']?.['f'] ?? {}), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(await first.stop(), { code: 0, signal: null });
});

test('a corrupt state file stops start-up with a clear error and is left unchanged', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const file = sb.path('state', 'riposte.db');
  spawnSync('mkdir', [sb.path('state')]);
  const garbage = Buffer.from('this is not a database\n'.repeat(400));
  writeFileSync(file, garbage);
  await refused(
    sb,
    sb.path('state'),
    `cannot open state file ${file}: it is not an SQLite database (corrupt, or another program's file); riposte will not overwrite it: move it away`,
  );
  assert.deepEqual(readFileSync(file), garbage);
});

test('a state file with corrupt pages stops start-up with a clear error and is left unchanged', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, sb.path('state')));
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  const file = sb.path('state', 'riposte.db');
  const bytes = readFileSync(file);
  // Pages 2 and after hold the tables; the header and the schema (page 1) stay intact.
  bytes.fill(0xa5, 4096);
  writeFileSync(file, bytes);
  await refused(
    sb,
    sb.path('state'),
    `cannot open state file ${file}: the database is corrupt; riposte will not overwrite it: move it away (sqlite3 .recover may save its content)`,
  );
  assert.deepEqual(readFileSync(file), bytes);
});

test('an empty state file stops start-up with an error that names it, and is left unchanged', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const file = sb.path('state', 'riposte.db');
  spawnSync('mkdir', [sb.path('state')]);
  writeFileSync(file, '');
  await refused(
    sb,
    sb.path('state'),
    `cannot open state file ${file}: it is empty (0 bytes), which a state file riposte made never is: it was damaged (a full disk, a crash of the file system?) and held pending actions that are lost; riposte will not overwrite it: restore it from a backup, or move it away to start afresh`,
  );
  assert.equal(statSync(file).size, 0);
});

test('the daemon writes its state directory, state file and write-ahead log for itself only, whatever the umask', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const umask = process.umask(0);
  let daemon: Awaited<ReturnType<Sandbox['started']>>;
  try {
    daemon = await sb.started(config(sb, sb.path('state')));
  } finally {
    process.umask(umask);
  }
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  await sb.settle(daemon);
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  const file = sb.path('state', 'riposte.db');
  assert.deepEqual(
    [mode(sb.path('state')), mode(file), mode(`${file}-wal`)],
    ['700', '600', '600'],
  );
});

test("another program's SQLite database in the state directory is refused and left unchanged", async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const file = sb.path('state', 'riposte.db');
  spawnSync('mkdir', [sb.path('state')]);
  sqlite(file, `db.exec("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('alice')")`);
  const before = readFileSync(file);
  await refused(
    sb,
    sb.path('state'),
    `cannot open state file ${file}: it is an SQLite database that riposte did not write; riposte will not overwrite it: move it away or set another state_directory`,
  );
  assert.deepEqual(readFileSync(file), before);
  assert.equal(existsSync(`${file}-wal`), false);
});

test('a state file with a row that cannot be read stops start-up with a clear error', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, sb.path('state')));
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  const file = sb.path('state', 'riposte.db');
  sqlite(file, `db.exec("UPDATE triggers SET match = 'oops'");`);
  await refused(
    sb,
    sb.path('state'),
    `cannot start: cannot read state file ${file}: triggers.match holds "oops", not a list; riposte will not overwrite it: move it away`,
  );
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1']);
});

/** Runs `code` with `db`, the SQLite database `file` opened by the binding riposte uses. */
function sqlite(file: string, code: string): void {
  const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); ${code}; db.close();`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Writes zeros to `path` until the file system is full. */
function fill(path: string): void {
  const r = spawnSync('sh', ['-c', 'cat /dev/zero > "$0" 2>/dev/null; :', path]);
  assert.equal(r.status, 0);
}

/** The size in bytes of a file, 0 when it does not exist. */
function sizeOf(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** Waits until the daemon has no pending action left and what they wrote is durable. */
async function drained(sb: Sandbox, daemon: Parameters<Sandbox['settle']>[0]): Promise<void> {
  for (const end = Date.now() + 60_000; ; await sleep(100)) {
    const r = await sb.cli('status', '-f', 'json');
    assert.equal(r.code, 0, r.stderr);
    if ((JSON.parse(r.stdout) as { pending: number }).pending === 0) break;
    assert.ok(Date.now() < end, `actions still pending: ${r.stdout}`);
  }
  await sb.settle(daemon);
}

test('under a steady load of triggers that come and go, the state file stops growing', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const state = sb.path('state');
  // No history: what this measures is the rows of triggers in effect, not those that ended.
  // An unban of 250 ms, not shorter: a trigger whose unban is overdue by the time its line is
  // counted (a loaded machine) stores nothing, and the waves would not store alike.
  const cfg = {
    ...config(sb, state, { unban: { cmd: ['true', '<ip>'], after: '250ms' } }),
    history: '0s',
  };
  // Each wave brings 1,000 addresses never seen before: kept, their rows would grow the file
  // by the same amount each time. A clean stop moves the write-ahead log into the file.
  let wave = 0;
  const run = async (waves: number): Promise<number> => {
    const daemon = await sb.started(cfg);
    for (const end = wave + waves; wave < end; ) {
      wave++;
      input.write(
        ...Array.from({ length: 1000 }, (_, i) => `fail from 10.${wave}.${i >> 8}.${i & 255}`),
      );
      await sb.mark(input, daemon);
      await drained(sb, daemon);
    }
    assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
    assert.equal(sizeOf(`${state}/riposte.db-wal`), 0, 'a clean stop empties the write-ahead log');
    return sizeOf(`${state}/riposte.db`);
  };
  const early = await run(2);
  const late = await run(6);
  assert.ok(late <= early * 1.25, `the file grew from ${early} to ${late} bytes`);
  await sb.started(cfg);
  assert.deepEqual(await sb.show(), {});
});
