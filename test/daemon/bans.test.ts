// Black-box tests of the bans an admin asks about and acts on: `ban` and `unban` (masked
// networks included), the triggers in effect that `show` lists (a ban with no end, in its
// kernel set again after a restart), the lines that counted, `why` and its history window,
// and the one summary line of a restore.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import {
  type Config,
  type Daemon,
  PATTERNS,
  type Sandbox,
  sandbox,
  sleep,
  until,
} from './harness.js';

/** One filter `f` on `fail from <ip>` with a ban and an unban an hour later, unless told. */
function banConfig(sb: Sandbox, f: Config = {}, extra: Config = {}): Config {
  return sb.fifoConfig(
    {
      f: {
        regex: ['fail from <ip>'],
        actions: {
          ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
          unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
        },
        ...f,
      },
    },
    extra,
  );
}

const MASKED: Config = { ...PATTERNS, ip: { type: 'ipv4', ipv4mask: 24 } };

test('unban of an address inside a masked network unbans the network, and says which', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await sb.started(banConfig(sb, {}, { patterns: MASKED }));
  fifo.write('fail from 192.0.2.7');
  await sb.mark(fifo, daemon);
  assert.ok(sb.lines('actions.log').includes('ban 192.0.2.0/24'));

  const r = await sb.cli('unban', '192.0.2.99');
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^unbanned 192\.0\.2\.0\/24 \(it holds 192\.0\.2\.99\) in s\.f: ran unban \(due \S+\)\n$/,
  );
  await daemon.waitFile('actions.log', (lines) => lines.includes('unban 192.0.2.0/24'));
  assert.deepEqual(JSON.parse((await sb.cli('show', '-f', 'json')).stdout), {});

  assert.deepEqual(await sb.cli('unban', '192.0.2.99'), {
    code: 0,
    stdout: 'nothing to unban: no ban, pending action or count holds 192.0.2.99\n',
    stderr: '',
  });
  const bad = await sb.cli('unban', '192.0.2.300');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot unban "192\.0\.2\.300": not an IP address or network/);
});

test('ban without -l triggers the only filter that takes an address; the ban is in show', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await sb.started(banConfig(sb));
  assert.deepEqual(await sb.cli('ban', '2001:DB8::1'), {
    code: 0,
    stdout: 'banned 2001:db8::1 in s.f\n',
    stderr: '',
  });
  await sb.mark(fifo, daemon);
  assert.ok(sb.lines('actions.log').includes('ban 2001:db8::1'));
  const shown = JSON.parse((await sb.cli('show', '-f', 'json')).stdout);
  const entry = shown.s.f['2001:db8::1'];
  assert.deepEqual(Object.keys(entry), ['triggered', 'actions']);
  assert.equal(entry.triggered.length, 1);

  const again = await sb.cli('ban', '2001:db8::1');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^2001:db8::1 was banned in s\.f already: its pending actions/);
  const bad = await sb.cli('ban', 'example.com');
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /cannot ban example\.com in s\.f: ip=example\.com is not a valid value of pattern "ip"/,
  );
});

test('ban with several filters that take an address needs -l, and bans in the one named', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const other = {
    regex: ['refused <ip>'],
    actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban-g', '<ip>') } },
  };
  const cfg = banConfig(sb);
  (cfg['streams'] as { s: { filters: Config } }).s.filters['g'] = other;
  const daemon = await sb.started(cfg);
  const r = await sb.cli('ban', '192.0.2.5');
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /cannot ban 192\.0\.2\.5: several filters take an address \(s\.f, s\.g\): choose one with -l STREAM\.FILTER/,
  );
  assert.deepEqual(await sb.cli('ban', '-l', 's.g', '192.0.2.5'), {
    code: 0,
    stdout: 'banned 192.0.2.5 in s.g\n',
    stderr: '',
  });
  await sb.mark(fifo, daemon);
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban-g 192.0.2.5'],
  );
});

test('a restore logs one summary line, and the actions it runs again not one line each', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const cfg = banConfig(sb);
  const daemon = await sb.started(cfg);
  fifo.write('fail from 192.0.2.1', 'fail from 192.0.2.2', 'fail from 192.0.2.3');
  await sb.mark(fifo, daemon);
  await sb.settle(daemon);
  assert.equal(daemon.logLines('s.f.ban: run').length, 3);
  await daemon.stop();

  const again = await sb.started(cfg);
  await sb.mark(fifo, again);
  const summary = again.logLines('state: restored');
  assert.equal(summary.length, 1, again.log);
  assert.match(
    summary[0]!,
    /state: restored 3 trigger\(s\) with 3 pending action\(s\) and 0 ban\(s\) with no end, and 0 count\(s\); 3 action\(s\) run again, 0 run now for the first time$/,
  );
  assert.deepEqual(again.logLines('s.f.ban: run'), []);
  assert.equal(sb.lines('actions.log').filter((l) => l.startsWith('ban ')).length, 6);
});

test('why tells the lines of a ban in effect, then when and how it ended', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await sb.started(banConfig(sb, { retry: 2, retryperiod: '1h' }));
  fifo.write('fail from 192.0.2.9 (first)', 'fail from 192.0.2.8', 'fail from 192.0.2.9 (second)');
  await sb.mark(fifo, daemon);

  const during = JSON.parse((await sb.cli('why', '-f', 'json', '192.0.2.9')).stdout);
  assert.equal(during.address, '192.0.2.9');
  assert.deepEqual(
    during.triggers.map((w: Config) => [w['filter'], w['match'], w['lines'], w['ended']]),
    [
      [
        's.f',
        '192.0.2.9',
        ['fail from 192.0.2.9 (first)', 'fail from 192.0.2.9 (second)'],
        undefined,
      ],
    ],
  );
  assert.deepEqual(Object.keys(during.triggers[0].pending), ['unban']);
  const counting = JSON.parse((await sb.cli('why', '-f', 'json', '192.0.2.8')).stdout);
  assert.deepEqual(counting.counts, [
    { filter: 's.f', match: '192.0.2.8', matches: 1, lines: ['fail from 192.0.2.8'] },
  ]);
  const lines = JSON.parse((await sb.cli('show', '-f', 'json', '--lines')).stdout);
  assert.deepEqual(lines.s.f['192.0.2.8'].lines, ['fail from 192.0.2.8']);
  assert.deepEqual(lines.s.f['192.0.2.9'].lines.length, 2);

  assert.equal((await sb.cli('unban', '192.0.2.9')).code, 0);
  await daemon.waitFile('actions.log', (l) => l.includes('unban 192.0.2.9'));
  const after = JSON.parse((await sb.cli('why', '-f', 'json', '192.0.2.9')).stdout);
  assert.equal(after.triggers.length, 1);
  assert.equal(after.triggers[0].how, 'flushed');
  assert.equal(after.triggers[0].pending, undefined);
  assert.ok(after.triggers[0].ended >= after.triggers[0].triggered);
  assert.deepEqual(after.triggers[0].lines, during.triggers[0].lines);
});

test('the history window: a trigger that ended longer ago than `history` is not told', async (t) => {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const quick = {
    actions: {
      ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
      // Not shorter: a trigger whose unban is overdue once its line is read runs nothing.
      unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1s' },
    },
  };
  const daemon = await sb.started(banConfig(sb, quick));
  fifo.write('fail from 192.0.2.4');
  await daemon.waitFile('actions.log', (l) => l.includes('unban 192.0.2.4'));
  await sb.settle(daemon);
  const told = JSON.parse((await sb.cli('why', '-f', 'json', '192.0.2.4')).stdout);
  assert.deepEqual(
    told.triggers.map((w: Config) => w['how']),
    ['done'],
  );
  await daemon.stop();
  // Ended over a second ago: outside a window of one second, whatever the machine's speed.
  await sleep(1100);
  await sb.started(banConfig(sb, quick, { history: '1s' }));
  const past = JSON.parse((await sb.cli('why', '-f', 'json', '192.0.2.4')).stdout);
  assert.deepEqual(past.triggers, []);
});

/** Whether a program is on PATH. */
function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

const KERNEL = process.getuid?.() === 0 && has('nft') && has('ip');
// Under CI every tool is installed: a missing one fails the test there instead of skipping it.
const KERNEL_ONLY = {
  skip: KERNEL || process.env['CI'] === 'true' ? false : 'needs root, nft, ip',
};

/** A network namespace of its own, removed after the test: the kernel sets live in it. */
function netns(t: Parameters<typeof sandbox>[0]): string {
  const name = `rbans${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  assert.equal(made.status, 0, `ip netns add ${name}: ${made.stderr}`);
  t.after(() => spawnSync('ip', ['netns', 'del', name]));
  return name;
}

/** Waits until the set holds exactly `want` (a batch reaches the kernel soon after its action). */
function setHolds(ns: string, daemon: Daemon, want: string): Promise<true> {
  return until(`set rbans to hold "${want}"`, daemon, () =>
    inSet(ns) === want ? true : undefined,
  );
}

/** The addresses in the nftables set `rbans` of table inet riposte, in the namespace. */
function inSet(ns: string): string {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'nft', 'list', 'set', 'inet', 'riposte', 'rbans'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return /elements = \{([^}]*)\}/.exec(r.stdout)?.[1]?.trim() ?? '';
}

test(
  'a ban with no end is listed after a restart with its lines, and is in its kernel set again until unban',
  KERNEL_ONLY,
  async (t) => {
    const sb = sandbox(t);
    const ns = netns(t);
    const fifo = sb.fifo();
    const cfg = sb.fifoConfig({
      f: {
        regex: ['fail from <ip>'],
        retry: 2,
        retryperiod: '1h',
        actions: { ban: { type: 'nftables', options: { set: 'rbans', version: 'ipv4' } } },
      },
    });
    const daemon = await sb.started(cfg, { netns: ns });
    fifo.write('fail from 198.51.100.9 one', 'fail from 198.51.100.9 two');
    await sb.mark(fifo, daemon);
    await sb.settle(daemon);
    await setHolds(ns, daemon, '198.51.100.9');
    await daemon.stop();

    const again = await sb.started(cfg, { netns: ns });
    await sb.mark(fifo, again);
    await sb.settle(again);
    assert.match(
      again.logLines('state: restored')[0] ?? '',
      /restored 1 trigger\(s\) with 0 pending action\(s\) and 1 ban\(s\) with no end, and 0 count\(s\); 1 action\(s\) run again/,
    );
    await setHolds(ns, again, '198.51.100.9');
    const shown = JSON.parse((await sb.cli('show', '-f', 'json', '--lines')).stdout);
    const entry = shown.s.f['198.51.100.9'];
    assert.equal(entry.permanent, true);
    assert.equal(entry.triggered.length, 1);
    assert.deepEqual(entry.lines, ['fail from 198.51.100.9 one', 'fail from 198.51.100.9 two']);

    const r = await sb.cli('unban', '198.51.100.9');
    assert.deepEqual(r, {
      code: 0,
      stdout: 'unbanned 198.51.100.9 in s.f: lifted its ban with no end\n',
      stderr: '',
    });
    await setHolds(ns, again, '');
    await again.stop();
    const third = await sb.started(cfg, { netns: ns });
    await sb.mark(fifo, third);
    await sb.settle(third);
    assert.equal(inSet(ns), '');
    assert.deepEqual(JSON.parse((await sb.cli('show', '-f', 'json')).stdout), {});
    const why = JSON.parse((await sb.cli('why', '-f', 'json', '198.51.100.9')).stdout);
    assert.deepEqual(
      why.triggers.map((w: Config) => [w['how'], w['lines']]),
      [['flushed', ['fail from 198.51.100.9 one', 'fail from 198.51.100.9 two']]],
    );
  },
);

test(
  'a reload keeps a ban with no end of a filter kept, and lifts from its kernel set one whose filter is removed',
  KERNEL_ONLY,
  async (t) => {
    const sb = sandbox(t);
    const ns = netns(t);
    const fifo = sb.fifo();
    const ban = { type: 'nftables', options: { set: 'rbans', version: 'ipv4' } };
    const keep = { regex: ['keep from <ip>'], actions: { ban } };
    const drop = { regex: ['drop from <ip>'], actions: { ban } };
    const daemon = await sb.started(sb.fifoConfig({ keep, drop }), { netns: ns });
    fifo.write('keep from 198.51.100.1', 'drop from 198.51.100.2');
    await sb.mark(fifo, daemon);
    await sb.settle(daemon);
    await setHolds(ns, daemon, '198.51.100.1, 198.51.100.2');

    // `keep` changes (a regex more), `drop` is removed.
    const changed = { ...keep, regex: ['keep from <ip>', 'also from <ip>'] };
    sb.writeConfig(sb.fifoConfig({ keep: changed }));
    const r = await sb.cli('reload');
    assert.equal(r.code, 0, r.stderr);
    await setHolds(ns, daemon, '198.51.100.1');
    assert.deepEqual(
      daemon.logLines('unbanned').map((l) => l.replace(/^.*INFO {2}/, '')),
      ['s.drop: 198.51.100.2 unbanned: the reloaded configuration no longer bans it with no end'],
    );
    const shown = JSON.parse((await sb.cli('show', '-f', 'json')).stdout);
    assert.deepEqual(Object.keys(shown.s), ['keep']);
    assert.equal(shown.s.keep['198.51.100.1'].permanent, true);
    // Still held under the new definition: unban lifts it.
    const u = await sb.cli('unban', '198.51.100.1');
    assert.equal(u.code, 0, u.stderr);
    await setHolds(ns, daemon, '');
  },
);
