// Black-box tests of `riposte reload` and SIGHUP through the real daemon: counts and pending
// actions across a reload, a steady feed of lines and triggers through several reloads with
// nothing lost or doubled, streams kept, restarted, started and stopped, a broken file kept
// out with every error reported, what a reload refuses, and reloads asked at once.

import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { type Config, type Sandbox, sandbox, sleep } from './harness.js';

/** Stream s reads in.fifo: filter f bans at the third failure and unbans an hour later. */
function config(
  sb: Sandbox,
  o: { word?: string; period?: string; extra?: Config; filters?: Config } = {},
): Config {
  const word = o.word ?? 'ban';
  return sb.fifoConfig(
    {
      f: {
        regex: ['fail <ip>'],
        retry: 3,
        retryperiod: o.period ?? '1h',
        actions: {
          ban: { cmd: sb.cmd('record', 'actions.log', word, '<ip>') },
          unban: { cmd: sb.cmd('record', 'actions.log', `un${word}`, '<ip>'), after: '1h' },
        },
      },
      ...o.filters,
    },
    o.extra,
  );
}

async function reload(
  sb: Sandbox,
  next: Config,
): Promise<{ code: number; stdout: string; stderr: string }> {
  sb.writeConfig(next);
  return sb.cli('reload');
}

/** The addresses of the n-th group: 10.g.x.y. */
function addresses(group: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `10.${group}.${i >> 8}.${i & 255}`);
}

test('a reload keeps the counts and the pending actions with their due times', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb));
  input.write('fail 1.1.1.1', 'fail 2.2.2.2', 'fail 2.2.2.2');
  input.write('fail 3.3.3.3', 'fail 3.3.3.3', 'fail 3.3.3.3');
  await sb.mark(input, daemon);
  const before = await sb.show();
  assert.equal(before['s']?.['f']?.['1.1.1.1']?.matches, 1);
  assert.equal(before['s']?.['f']?.['2.2.2.2']?.matches, 2);
  assert.equal(before['s']?.['f']?.['3.3.3.3']?.actions?.['unban']?.length, 1);
  const r = await reload(
    sb,
    config(sb, {
      word: 'BAN',
      filters: { g: { regex: ['other <ip>'], actions: { a: { cmd: ['true'] } } } },
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^reloaded .*riposte\.json:\n/);
  assert.match(r.stdout, /\n {2}action s\.f\.ban changed: pending ones run the new definition\n/);
  assert.match(r.stdout, /\n {2}filter s\.g added\n/);
  assert.deepEqual(await sb.show(), before);
  // The counts go on: 2.2.2.2's third failure triggers, with the new definition of ban.
  input.write('fail 2.2.2.2');
  await daemon.waitFile('actions.log', (l) => l.includes('BAN 2.2.2.2'));
  assert.deepEqual(
    sb.lines('actions.log').filter((l) => !l.startsWith('marker')),
    ['ban 3.3.3.3', 'BAN 2.2.2.2'],
  );
  // The pending unban runs its new definition when flushed.
  await sb.cli('flush', 'ip=3.3.3.3');
  await daemon.waitFile('actions.log', (l) => l.includes('unBAN 3.3.3.3'));
  assert.equal(daemon.logLines('stream s: started').length, 1, daemon.log);
});

test('an unban waiting for its running ban across a reload runs as now defined, after the ban', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // The bans hold until the file `go` exists: their unbans, flushed meanwhile, wait for them.
  const held = (word: string): Config =>
    sb.fifoConfig(
      {
        f: {
          regex: ['fail <ip>'],
          actions: {
            ban: { cmd: [sb.path('wait-for'), sb.path('actions.log'), 'ban <ip>', sb.path('go')] },
            unban: { cmd: sb.cmd('record', 'actions.log', word, '<ip>'), after: '1h' },
          },
        },
      },
      { concurrency: 4 },
    );
  const daemon = await sb.started(held('unban'));
  input.write('fail 1.1.1.1', 'fail 2.2.2.2');
  await daemon.waitFile(
    'actions.log',
    (l) => l.includes('ban 1.1.1.1') && l.includes('ban 2.2.2.2'),
  );
  // One unban is flushed before the reload, the other after it.
  assert.equal((await sb.cli('flush', 'ip=1.1.1.1')).code, 0);
  const r = await reload(sb, held('UNBAN'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await sb.cli('flush', 'ip=2.2.2.2')).code, 0);
  assert.deepEqual(sb.lines('actions.log').sort(), ['ban 1.1.1.1', 'ban 2.2.2.2']);
  writeFileSync(sb.path('go'), '');
  const done = await daemon.waitFile('actions.log', 6);
  await sb.settle(daemon);
  // Each unban comes after its ban's end, under the definition of the reload.
  for (const ip of ['1.1.1.1', '2.2.2.2']) {
    const at = (line: string) => done.indexOf(line);
    assert.ok(
      at(`ban ${ip} done`) >= 0 && at(`ban ${ip} done`) < at(`UNBAN ${ip}`),
      done.join('\n'),
    );
  }
  assert.equal(done.filter((l) => l.startsWith('unban')).length, 0, done.join('\n'));
  assert.deepEqual(await sb.show(), {});
});

test('under a steady feed of lines, reloads lose and double no line, count, trigger or action', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb, { extra: { concurrency: 4 } }));
  const banned = addresses(1, 150);
  const partial = addresses(2, 50);
  // Each banned address fails 3 times, each partial one twice, spread over the whole feed.
  const lines = [
    ...banned.map((a) => `fail ${a}`),
    ...partial.map((a) => `fail ${a}`),
    ...banned.map((a) => `fail ${a}`),
    ...partial.map((a) => `fail ${a}`),
    ...banned.map((a) => `fail ${a}`),
  ];
  const configs = [
    config(sb, { word: 'BAN', extra: { concurrency: 4 } }),
    config(sb, {
      extra: { concurrency: 2 },
      filters: { g: { regex: ['x <ip>'], actions: { a: { cmd: ['true'] } } } },
    }),
    config(sb, { word: 'BAN', period: '2h', extra: { concurrency: 4 } }),
  ];
  // Lines come every 2 ms, 5 at a time, while three reloads run back to back: the failures are
  // released with the reloads' progress (some before, between and after them), and lines that
  // no filter matches keep the stream busy meanwhile.
  const RELOADS = 3;
  let reloads = 0;
  const feeding = (async () => {
    let next = 0;
    while (reloads < RELOADS || next < lines.length) {
      const allowed = Math.floor((lines.length * (reloads + 1)) / (RELOADS + 1));
      const chunk = lines.slice(next, Math.min(allowed, next + 5));
      next += chunk.length;
      input.write(...chunk, ...Array.from({ length: 5 - chunk.length }, (_, i) => `noise ${i}`));
      await sleep(2);
    }
  })();
  for (; reloads < RELOADS; reloads++) {
    const r = await reload(sb, configs[reloads % configs.length]!);
    assert.equal(r.code, 0, r.stderr);
  }
  await feeding;
  await sb.mark(input, daemon);
  await sb.settle(daemon);
  const bans = sb.lines('actions.log').filter((l) => /^(ban|BAN) /.test(l));
  assert.equal(bans.length, banned.length, `bans: ${bans.length}\n${daemon.log.slice(-3000)}`);
  assert.deepEqual(bans.map((l) => l.split(' ')[1]).sort(), [...banned].sort());
  const report = await sb.show();
  const f = report['s']?.['f'] ?? {};
  for (const a of banned)
    assert.equal(f[a]?.actions?.['unban']?.length, 1, `${a}: ${JSON.stringify(f[a])}`);
  for (const a of partial) assert.equal(f[a]?.matches, 2, `${a}: ${JSON.stringify(f[a])}`);
  assert.equal(Object.keys(f).length, banned.length + partial.length);
  assert.equal(daemon.logLines('stream s: started').length, 1);
  assert.equal(daemon.logLines(/reload: applied/).length, RELOADS);
});

test('a reload keeps a stream whose command is the same, restarts a changed one, starts and stops the others', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  sb.script('announce', 'printf "%s\\n" "$2" >> "$1"; exec sleep 1000');
  const announce = (word: string) => ({
    cmd: [sb.path('announce'), sb.path('streams.log'), word],
    filters: { x: { regex: ['never <ip>'], actions: { a: { cmd: ['true'] } } } },
  });
  const first = config(sb);
  const streams = (first['streams'] as Config) ?? {};
  const daemon = await sb.started({
    ...first,
    streams: { ...streams, changed: announce('changed-1'), removed: announce('removed') },
  });
  await daemon.waitFile('streams.log', 2);
  const r = await reload(sb, {
    ...first,
    streams: { ...streams, changed: announce('changed-2'), added: announce('added') },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').slice(1, 4), [
    '  stream changed changed: its command is started again',
    '  stream added added: started',
    '  stream removed removed: stopped',
  ]);
  await daemon.waitFile('streams.log', 4);
  assert.deepEqual(sb.lines('streams.log').sort(), ['added', 'changed-1', 'changed-2', 'removed']);
  const status = JSON.parse((await sb.cli('status', '-f', 'json')).stdout) as {
    streams: Record<string, { state: string }>;
  };
  assert.deepEqual(Object.keys(status.streams).sort(), ['added', 'changed', 's']);
  assert.equal(daemon.logLines('stream s: started').length, 1);
  assert.equal(daemon.logLines('stream changed: started').length, 2);
  // The stream kept still feeds its filters.
  input.write('fail 4.4.4.4', 'fail 4.4.4.4', 'fail 4.4.4.4');
  await daemon.waitFile('actions.log', (l) => l.includes('ban 4.4.4.4'));
});

test('a reload applied whose new stream cannot start says so, and exits with status 1', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(config(sb));
  // An executable file that no kernel can run: found in PATH, refused by exec.
  const broken = sb.path('broken-stream');
  writeFileSync(broken, '#!/riposte/no/such/interpreter\n');
  chmodSync(broken, 0o755);
  const first = config(sb);
  const streams = first['streams'] as Config;
  const r = await reload(sb, {
    ...first,
    streams: {
      ...streams,
      new: {
        cmd: [broken],
        filters: { x: { regex: ['x <ip>'], actions: { a: { cmd: ['true'] } } } },
      },
    },
  });
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, /\n {2}stream new added: started\n/);
  assert.match(r.stderr, /^error: cannot start stream new: .*broken-stream.*$/m);
  assert.match(r.stderr, /riposte: reloaded, but 1 stream\(s\) could not start/);
  await daemon.waitLog(/ERROR reload: cannot start stream new/);
  const status = JSON.parse((await sb.cli('status', '-f', 'json')).stdout) as {
    streams: Record<string, { state: string }>;
  };
  assert.equal(status.streams['new']?.state, 'stopped');
  assert.equal(status.streams['s']?.state, 'running');
});

test('a reload with a broken file keeps the configuration in use and reports every error', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb));
  const broken = config(sb);
  const s = (broken['streams'] as Record<string, Config>)['s']!;
  const filters = s['filters'] as Record<string, Config>;
  filters['f'] = { ...filters['f'], retryperiode: '1h', retry: 'three' };
  filters['g'] = { regex: ['(unclosed <ip>'], actions: { a: { cmd: ['true'] } } };
  const r = await reload(sb, broken);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.equal(errors.length, 3, r.stderr);
  assert.match(
    r.stderr,
    /streams\.s\.filters\.f\.retryperiode: unknown key, did you mean "retryperiod"\?/,
  );
  assert.match(
    r.stderr,
    /streams\.s\.filters\.f\.retry: expected an integer, got the string "three"/,
  );
  assert.match(r.stderr, /streams\.s\.filters\.g\.regex\[0\]/);
  assert.match(
    r.stderr,
    /riposte: not reloaded: 3 error\(s\) in .*; the daemon goes on with the configuration it had/,
  );
  await daemon.waitLog(/ERROR reload: not applied: 3 error\(s\)/);
  assert.equal(daemon.logLines(/ERROR reload: .*retryperiode/).length, 1);
  // The configuration in use is the old one, whole.
  input.write('fail 5.5.5.5', 'fail 5.5.5.5', 'fail 5.5.5.5');
  await daemon.waitFile('actions.log', (l) => l.includes('ban 5.5.5.5'));
  const m = await sb.cli('show', '-f', 'json', '-l', 's.g');
  assert.equal(m.code, 1);
  assert.match(m.stderr, /unknown filter "s\.g"/);
});

test('SIGHUP reloads as riposte reload does: applied, or refused with the errors in the log', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started(config(sb));
  sb.writeConfig(config(sb, { word: 'BAN' }));
  daemon.signal('SIGHUP');
  await daemon.waitLog(/INFO {2}reload: applied /);
  assert.equal(daemon.logLines(/INFO {2}reload: SIGHUP received: reading /).length, 1);
  input.write('fail 6.6.6.6', 'fail 6.6.6.6', 'fail 6.6.6.6');
  await daemon.waitFile('actions.log', (l) => l.includes('BAN 6.6.6.6'));
  sb.writeConfig({ ...config(sb), concurrency: 'many' });
  daemon.signal('SIGHUP');
  await daemon.waitLog(/ERROR reload: not applied: 1 error\(s\)/);
  assert.equal(daemon.logLines(/ERROR reload: .*concurrency: expected an integer/).length, 1);
  input.write('fail 7.7.7.7', 'fail 7.7.7.7', 'fail 7.7.7.7');
  await daemon.waitFile('actions.log', (l) => l.includes('BAN 7.7.7.7'));
  assert.ok(daemon.running);
});

test('start commands do not run at a reload; the stop commands of the new configuration run at shutdown', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const commands = (word: string) => ({
    start: [sb.cmd('record', 'commands.log', `start-${word}`)],
    stop: [sb.cmd('record', 'commands.log', `stop-${word}`)],
  });
  const daemon = await sb.started(config(sb, { extra: commands('first') }));
  const r = await reload(sb, config(sb, { extra: commands('second') }));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n {2}start commands changed: they run at the next start, not now\n/);
  assert.match(r.stdout, /\n {2}stop commands changed: they run at the next stop, not now\n/);
  assert.deepEqual(sb.lines('commands.log'), ['start-first']);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
  assert.deepEqual(sb.lines('commands.log'), ['start-first', 'stop-second']);
});

test('a reload refuses another state directory, and keeps the one in use', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(config(sb));
  const r = await reload(sb, { ...config(sb), state_directory: sb.path('elsewhere') });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /error: state_directory cannot change while riposte runs \(.*\/state → .*\/elsewhere\): restart riposte to use the new one/,
  );
  await daemon.waitLog(/ERROR reload: state_directory cannot change/);
});

test('reloads asked at once run one after the other, each applied whole', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  const daemon = await sb.started(config(sb));
  sb.writeConfig(config(sb, { word: 'BAN' }));
  const results = await Promise.all([sb.cli('reload'), sb.cli('reload'), sb.cli('reload')]);
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const steps = daemon
    .logLines(/reload: (riposte reload: reading|applied)/)
    .map((l) => (l.includes('reading') ? 'reading' : 'applied'));
  assert.deepEqual(steps, ['reading', 'applied', 'reading', 'applied', 'reading', 'applied']);
  // The first changed the actions; the two others found nothing to change.
  const nothing = results.filter((r) => r.stdout.includes('nothing changed'));
  assert.equal(nothing.length, 2);
});
