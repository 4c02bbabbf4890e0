// Black-box tests of streams (behaviour §2.1 line rules, §2.6): commands that cannot start,
// die, end or vanish; lines that are huge or not UTF-8; commands that die with the daemon.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { alive, type Config, PATTERNS, type Sandbox, sandbox, sleep, until } from './harness.js';

function filters(sb: Sandbox): Config {
  return {
    f: {
      regex: ['fail from <ip>'],
      actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } },
    },
    marker: sb.markerFilter(),
  };
}

test('a stream command that does not exist stops start-up with a clear error; exit status 1', async (t) => {
  const sb = sandbox(t);
  const missing = sb.path('no-such-stream');
  const daemon = sb.start({
    patterns: PATTERNS,
    streams: { s: { cmd: [missing, '-f'], filters: filters(sb) } },
    stop: [sb.cmd('record', 'actions.log', 'stop0')],
  });
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.ok(
    daemon.log.includes(
      `ERROR cannot start: cannot start stream s: ${JSON.stringify([missing, '-f'])}: program not found (check PATH)\n`,
    ),
    daemon.log,
  );
  assert.deepEqual(sb.lines('actions.log'), ['stop0']);
  assert.equal(existsSync(sb.socket), false, 'the socket is removed');
});

test('a stream that exits non-zero or by a signal is started again with backoff, logged each time', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  // 1st run: says "oops 1" on stderr and exits 3; 2nd: kills itself; 3rd: reads the fifo.
  const stream = sb.script(
    'stream',
    [
      `echo run >> "${sb.path('runs.log')}"`,
      `n=$(wc -l < "${sb.path('runs.log')}")`,
      'case $n in',
      '  1) echo "oops 1" >&2; echo "not the last line" >&2; echo "oops 2" >&2; exit 3 ;;',
      '  2) kill -KILL $$ ;;',
      `  *) exec cat "${input.path}" ;;`,
      'esac',
    ].join('\n'),
  );
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: { s: { cmd: [stream], filters: filters(sb) } },
  });
  const argv = JSON.stringify([stream]);
  await daemon.waitLog(
    `ERROR stream s: ${argv} died (exit status 3); last stderr line: oops 2; starting it again in 1s`,
  );
  await daemon.waitLog(
    `ERROR stream s: ${argv} died (killed by signal SIGKILL); starting it again in 2s`,
  );
  await daemon.waitLog(`INFO  stream s: started ${argv}`, 3);
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1']);
  assert.deepEqual(sb.lines('runs.log'), ['run', 'run', 'run']);
  const status = await sb.cli('status', '-f', 'json');
  assert.equal(status.code, 0, status.stderr);
  const s = (JSON.parse(status.stdout) as { streams: Record<string, Record<string, unknown>> })
    .streams['s'];
  assert.deepEqual(
    { state: s?.['state'], restarts: s?.['restarts'], lastExit: s?.['lastExit'] },
    { state: 'running', restarts: 2, lastExit: 'killed by signal SIGKILL' },
  );
});

test('a stream whose program has vanished at a restart is retried, one attempt at a time', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const body = `echo run >> "${sb.path('runs.log')}"\nexec cat "${input.path}"`;
  // The first run removes its own script and fails: the restart finds no program.
  const stream = sb.script('stream', `rm "$0"\necho run >> "${sb.path('runs.log')}"\nexit 3`);
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: { s: { cmd: [stream], filters: filters(sb) } },
  });
  const argv = JSON.stringify([stream]);
  await daemon.waitLog(
    `ERROR stream s: ${argv} died (program not found (check PATH)); starting it again in 2s`,
  );
  sb.script('stream', body);
  await daemon.waitLog(`INFO  stream s: started ${argv}`, 2);
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  // One restart timer only: the failed attempt was handled once, so one process reads the fifo.
  await daemon.waitLog('s.f.ban: run');
  assert.deepEqual(sb.lines('runs.log'), ['run', 'run']);
  assert.equal(daemon.logLines(`stream s: ${argv} died`).length, 2, daemon.log);
  assert.equal(daemon.logLines('INFO  stream s: started').length, 2, daemon.log);
});

test('a stream that exits 0 is not started again; when every stream has ended the daemon exits 1', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const once = sb.script('once', `echo once >> "${sb.path('runs.log')}"\necho "bye" >&2\nexit 0`);
  // Reads lines until "end", then exits 0.
  const reader = sb.script(
    'reader',
    `while read -r line; do [ "$line" = end ] && exit 0; echo "$line"; done < "$1"`,
  );
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      short: { cmd: [once], filters: filters(sb) },
      long: { cmd: [reader, input.path], filters: filters(sb) },
    },
    stop: [sb.cmd('record', 'actions.log', 'stop0')],
  });
  await daemon.waitLog(
    `ERROR stream short: ${JSON.stringify([once])} ended (exit status 0); last stderr line: bye; it is not started again`,
  );
  input.write('fail from 192.0.2.1');
  await sb.mark(input, daemon);
  assert.equal(daemon.running, true);
  input.write('end');
  assert.deepEqual(await daemon.waitExit(), { code: 1, signal: null });
  assert.ok(daemon.log.includes('ERROR every stream has ended: shutting down\n'), daemon.log);
  assert.deepEqual(sb.lines('runs.log'), ['once']);
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'marker 1', 'stop0']);
});

test('commands that end as soon as they start are each seen to end, and those that fail are started again', async (t) => {
  const sb = sandbox(t);
  sb.fifo();
  // Each stream is one try of the race between the command's end and what the stream guard
  // says of its exec: an end taken for "could not start" left the stream stopped, silently.
  const streams: Record<string, object> = {
    s: { cmd: ['cat', sb.path('in.fifo')], filters: filters(sb) },
  };
  for (let i = 0; i < 12; i++) {
    streams[`ends${i}`] = { cmd: ['true'], filters: filters(sb) };
    streams[`dies${i}`] = { cmd: ['sh', '-c', 'exit 3'], filters: filters(sb) };
  }
  const daemon = await sb.started({ patterns: PATTERNS, streams });
  for (let i = 0; i < 12; i++) {
    await daemon.waitLog(
      `stream ends${i}: ["true"] ended (exit status 0); it is not started again`,
    );
    await daemon.waitLog(
      `stream dies${i}: ["sh","-c","exit 3"] died (exit status 3); starting it again in 1s`,
    );
  }
  const status = JSON.parse((await sb.cli('status', '-f', 'json')).stdout) as {
    streams: Record<string, { state: string }>;
  };
  const states = new Set(
    Object.entries(status.streams)
      .filter(([n]) => n !== 's')
      .map(([, s]) => s.state),
  );
  assert.ok(!states.has('stopped'), JSON.stringify(status.streams));
});

test('a 100 MB line is cut at 64 KiB, the rest dropped and counted, and memory stays bounded', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const go = sb.fifo('go.fifo');
  // Once told to: one line, "fail from 192.0.2.1 " + 100 MiB of "x" + " fail from
  // 192.0.2.2", then more lines.
  const size = 100 * 1024 * 1024;
  const stream = sb.script(
    'stream',
    [
      `read -r _ < "${go.path}"`,
      'printf "fail from 192.0.2.1 "',
      `head -c ${size} /dev/zero | tr '\\0' x`,
      'printf " fail from 192.0.2.2\\nfail from 192.0.2.3\\n"',
      `exec cat "${input.path}"`,
    ].join('\n'),
  );
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: { s: { cmd: [stream], filters: filters(sb) } },
  });
  // The daemon's own peak before the line, whatever this machine's Node takes to start.
  const before = daemon.peakRss();
  go.write('go');
  const length = 'fail from 192.0.2.1 '.length + size + ' fail from 192.0.2.2'.length;
  await daemon.waitLog(
    `WARN  stream s: a line longer than 64 KiB was cut; ${length - 65_536} characters dropped`,
  );
  await sb.mark(input, daemon);
  // The start of the line was matched; the part after the cut was not: 192.0.2.2 is not banned.
  assert.deepEqual(sb.lines('actions.log'), ['ban 192.0.2.1', 'ban 192.0.2.3', 'marker 1']);
  // The line held whole would take 100 MiB more at least; read in chunks, far less.
  const grown = daemon.peakRss() - before;
  t.diagnostic(`peak resident memory ${before} kB before the line, ${grown} kB more after it`);
  assert.ok(grown < size / 1024 / 2, `peak resident memory grew by ${grown} kB`);
});

test('NUL bytes and invalid UTF-8 neither stop the daemon nor the matching of the next lines', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: { s: { cmd: ['cat', input.path], filters: filters(sb) } },
  });
  input.writeBytes(
    Buffer.concat([
      Buffer.from('fail from 192.0.2.1 \0\0 nul\n'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a]),
      Buffer.from([0xc3]),
      Buffer.from(' fail from 192.0.2.2 \xe2\x82\n', 'latin1'),
      Buffer.from('\0\0\0\n\xf0\x9f\x98\n', 'latin1'),
      Buffer.from('fail from 192.0.2.3\n'),
    ]),
  );
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban 192.0.2.1',
    'ban 192.0.2.2',
    'ban 192.0.2.3',
    'marker 1',
  ]);
  assert.equal(daemon.running, true);
});

test('stdout and stderr are both read; a line written in pieces is one line; "\\r\\n" ends a line', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const stream = sb.script('stream', 'echo "user err from 192.0.2.7" >&2\nexec cat "$1"');
  const daemon = await sb.started({
    concurrency: 1,
    patterns: { ...PATTERNS, user: { regex: '\\S+' } },
    streams: {
      s: {
        cmd: [stream, input.path],
        filters: {
          f: {
            regex: ['^user <user> from <ip>$'],
            actions: { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<user>', '<ip>') } },
          },
          marker: sb.markerFilter(),
        },
      },
    },
  });
  await daemon.waitFile('actions.log', 1);
  // "é" is split between two writes, which the stream reads separately.
  input.writeBytes(Buffer.from('user jos\xc3', 'latin1'));
  await sleep(200);
  input.writeBytes(Buffer.from('\xa9 from 192.0.2.8\nuser crlf from 192.0.2.9\r\n', 'latin1'));
  await sb.mark(input, daemon);
  assert.deepEqual(sb.lines('actions.log'), [
    'ban err 192.0.2.7',
    'ban josé 192.0.2.8',
    'ban crlf 192.0.2.9',
    'marker 1',
  ]);
});

test('a stream command, and what it started, die with a daemon killed by SIGKILL', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const stream = sb.script(
    'stream',
    [
      `sleep 100000 & echo $! > "${sb.path('sleep.pid')}"`,
      `echo $$ > "${sb.path('cat.pid')}"`,
      `exec cat "${input.path}"`,
    ].join('\n'),
  );
  const daemon = await sb.started({
    patterns: PATTERNS,
    streams: { s: { cmd: [stream], filters: filters(sb) } },
  });
  const pids = await until('the stream to write its pids', daemon, () => {
    const [sleeping] = sb.lines('sleep.pid');
    const [reading] = sb.lines('cat.pid');
    return sleeping === undefined || reading === undefined
      ? undefined
      : [Number(sleeping), Number(reading)];
  });
  assert.ok(pids.every(alive));
  // The daemon alone, as the OOM killer or a crash would: not its process group.
  daemon.signal('SIGKILL');
  await daemon.waitExit();
  const killed = Date.now();
  await until('the stream processes to be gone', daemon, () =>
    pids.some(alive) ? undefined : true,
  );
  assert.ok(Date.now() - killed < 3000, `${Date.now() - killed} ms`);
});

test('lines cut for their length are logged five times a minute, however many come', async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const daemon = await sb.started({
    concurrency: 1,
    patterns: PATTERNS,
    streams: { s: { cmd: ['cat', input.path], filters: filters(sb) } },
  });
  const long = 'x'.repeat(70 * 1024);
  for (let i = 0; i < 50; i++) input.write(long);
  await sb.mark(input, daemon);
  assert.equal(daemon.logLines('WARN  stream s: a line longer than 64 KiB was cut').length, 5);
  assert.equal((await sb.show())['s'], undefined);
});
