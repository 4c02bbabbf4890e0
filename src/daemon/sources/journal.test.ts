import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { JournalSource, type JournalSourceOptions } from './journal.js';
import { journalToolsMissing, type TestEntry, writeJournal } from './journal-files.js';
import type { Position, SourceSink } from './source.js';

const missing = journalToolsMissing();
// Under CI the tools must be there: the tests run, and fail loudly.
const skip = missing !== undefined && process.env['CI'] === undefined ? missing : false;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  if (missing !== undefined) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'riposte-journal-'));
  dirs.push(dir);
  return dir;
}

interface Block {
  readonly block: string;
  readonly time: number | undefined;
  readonly caughtUp: boolean;
}

class Recorder implements SourceSink {
  readonly blocks: Block[] = [];
  readonly positions: Position[] = [];
  readonly stderrs: string[] = [];
  readonly notices: string[] = [];
  lines(block: string, o: { time: number | undefined; caughtUp: boolean }): void {
    this.blocks.push({ block, ...o });
  }
  position(position: Position): void {
    this.positions.push(position);
  }
  stderr(line: string): void {
    this.stderrs.push(line);
  }
  notice(level: string, message: string): void {
    this.notices.push(`${level} ${message}`);
  }
  cut(): void {}
  read(): void {}
  /** Every line handed over, with its block's time and flag, the readiness probes left out. */
  get lineList(): { text: string; time: number | undefined; caughtUp: boolean }[] {
    return this.blocks.flatMap((b) =>
      b.block
        .split('\n')
        .filter((text) => !text.startsWith('probe '))
        .map((text) => ({ text, time: b.time, caughtUp: b.caughtUp })),
    );
  }
  get texts(): string[] {
    return this.lineList.map((l) => l.text);
  }
  get last(): Position {
    return this.positions.at(-1);
  }
}

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function options(dir: string, over: Partial<JournalSourceOptions> = {}): JournalSourceOptions {
  return {
    name: 'test',
    units: [],
    identifiers: [],
    matches: [],
    directory: dir,
    files: [],
    withIdentifier: false,
    position: undefined,
    catchUp: 3_600_000,
    ...over,
  };
}

function entries(
  texts: readonly string[],
  time = Date.now(),
  extra: Partial<TestEntry> = {},
): TestEntry[] {
  return texts.map((message, i) => ({
    message,
    time: time + i,
    identifier: 'app',
    pid: 7,
    ...extra,
  }));
}

/** The cursors of a directory's entries, oldest first. */
function cursors(dir: string): string[] {
  const out = execFileSync(
    'journalctl',
    [`--directory=${dir}`, '-o', 'json', '--merge', '--no-pager'],
    {
      encoding: 'utf8',
    },
  );
  return out
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { __CURSOR: string }).__CURSOR);
}

/**
 * Waits until journalctl reads the live end: `-n 0` skips what was written before it opened
 * the journal, so probes are written until one comes through.
 */
async function ready(dir: string, rec: Recorder, o: { file?: string } = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await writeJournal(dir, [{ message: `probe ${i}`, time: Date.now(), identifier: 'probe' }], o);
    try {
      await until('a probe', () => rec.blocks.some((b) => b.block.includes('probe ')), 300);
      return;
    } catch {}
  }
  throw new Error('journalctl never read a probe');
}

/** A source started at the cursor of the directory's first entry (a base entry, not read). */
async function startAfterBase(dir: string, over: Partial<JournalSourceOptions> = {}) {
  const rec = new Recorder();
  const source = new JournalSource(
    options(dir, { position: { cursor: cursors(dir)[0] }, ...over }),
    rec,
  );
  await source.start();
  return { rec, source };
}

test('JournalSource reads the entries of a written journal with their MESSAGE and their own time', {
  skip,
}, async () => {
  const dir = tempDir();
  const base = Date.now() - 60_000;
  await writeJournal(dir, [
    { message: 'base', time: base - 1000 },
    ...entries(['one', 'two', 'three'], base),
  ]);
  const { rec, source } = await startAfterBase(dir);
  await until('three entries', () => rec.texts.length === 3);
  await source.stop();
  assert.deepEqual(rec.lineList, [
    { text: 'one', time: base, caughtUp: true },
    { text: 'two', time: base + 1, caughtUp: true },
    { text: 'three', time: base + 2, caughtUp: true },
  ]);
  assert.deepEqual(rec.last, { cursor: cursors(dir)[3] });
});

test('JournalSource reads only the entries of its units, identifiers and matches', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [
    { message: 'base', time: t - 1000 },
    { message: 'ssh unit', time: t, unit: 'ssh.service' },
    { message: 'cron unit', time: t + 1, unit: 'cron.service' },
    { message: 'sshd ident', time: t + 2, identifier: 'sshd' },
    { message: 'kernel', time: t + 3, fields: { _TRANSPORT: 'kernel' } },
    { message: 'syslog', time: t + 4, fields: { _TRANSPORT: 'syslog' } },
    { message: 'ssh unit again', time: t + 5, unit: 'ssh.service' },
  ]);
  const rows: [Partial<JournalSourceOptions>, string[]][] = [
    [{ units: ['ssh.service'] }, ['ssh unit', 'ssh unit again']],
    [{ units: ['ssh'] }, ['ssh unit', 'ssh unit again']],
    [{ identifiers: ['sshd'] }, ['sshd ident']],
    [{ matches: ['_TRANSPORT=kernel'] }, ['kernel']],
    [{ matches: ['_TRANSPORT=kernel', '_TRANSPORT=syslog'] }, ['kernel', 'syslog']],
  ];
  for (const [over, expected] of rows) {
    const { rec, source } = await startAfterBase(dir, over);
    await until(`${JSON.stringify(over)} entries`, () => rec.texts.includes(expected.at(-1)!));
    await source.stop();
    assert.deepEqual(rec.texts, expected, JSON.stringify(over));
  }
});

test('JournalSource with withIdentifier writes IDENT[PID]: before every line of a message', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [
    { message: 'base', time: t - 1000 },
    { message: 'Failed password', time: t, identifier: 'sshd', pid: 42 },
    { message: 'no pid', time: t + 1, identifier: 'kernel' },
    { message: 'first\nsshd[1]: forged', time: t + 2, identifier: 'evil', pid: 9 },
  ]);
  const { rec, source } = await startAfterBase(dir, { withIdentifier: true });
  await until('four lines', () => rec.texts.length === 4);
  await source.stop();
  assert.deepEqual(rec.texts, [
    'sshd[42]: Failed password',
    'kernel: no pid',
    'evil[9]: first',
    'evil[9]: sshd[1]: forged',
  ]);
});

test('JournalSource decodes a binary MESSAGE with replacement and keeps control characters', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [
    { message: 'base', time: t - 1000 },
    { message: new Uint8Array([0x62, 0xff, 0x63, 0x1b, 0x5b]), time: t },
    { message: 'tab\there\u0007', time: t + 1 },
  ]);
  const { rec, source } = await startAfterBase(dir);
  await until('two lines', () => rec.texts.length === 2);
  await source.stop();
  assert.deepEqual(rec.texts, ['b\uFFFDc\u001b[', 'tab\there\u0007']);
});

test('JournalSource hands a multi-line MESSAGE as lines of one block with the entry time', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [
    { message: 'base', time: t - 1000 },
    { message: 'one\ntwo\nthree', time: t },
  ]);
  const { rec, source } = await startAfterBase(dir);
  await until('a block', () => rec.blocks.length === 1);
  await source.stop();
  assert.deepEqual(rec.blocks, [{ block: 'one\ntwo\nthree', time: t, caughtUp: true }]);
});

test('JournalSource with no position reads only entries written after it started', {
  skip,
}, async () => {
  const dir = tempDir();
  await writeJournal(dir, entries(['old one', 'old two'], Date.now() - 5000));
  const rec = new Recorder();
  const source = new JournalSource(options(dir), rec);
  await source.start();
  await ready(dir, rec);
  await writeJournal(dir, entries(['new one', 'new two']));
  await until('two new entries', () => rec.texts.length === 2);
  await source.stop();
  assert.deepEqual(rec.texts, ['new one', 'new two']);
  assert.ok(rec.lineList.every((l) => !l.caughtUp));
  assert.ok(rec.notices.includes('INFO no saved cursor: reading new entries only'));
});

test('JournalSource resumes after a stop: entries written meanwhile read once, caught up, then live ones', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [{ message: 'base', time: t - 1000 }, ...entries(['a1', 'a2'], t)]);
  const first = await startAfterBase(dir);
  await until('a2', () => first.rec.texts.includes('a2'));
  await first.source.stop();
  // More than 10: journalctl --follow shows only the last 10 unless told otherwise.
  const meanwhile = Array.from({ length: 25 }, (_, i) => `b${i}`);
  await writeJournal(dir, entries(meanwhile, Date.now() - 100));
  const rec = new Recorder();
  const source = new JournalSource(options(dir, { position: first.rec.last }), rec);
  await source.start();
  await until('b24', () => rec.texts.includes('b24'));
  await writeJournal(dir, entries(['c1'], Date.now() + 1000));
  await until('c1', () => rec.texts.includes('c1'));
  await source.stop();
  assert.deepEqual(
    rec.lineList.map((l) => [l.text, l.caughtUp]),
    [...meanwhile.map((b) => [b, true]), ['c1', false]],
  );
});

test('JournalSource resumes across a reboot: the entries of the boot before are read too', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  const before = 'b'.repeat(32);
  await writeJournal(dir, [
    { message: 'base', time: t - 1000, boot: before },
    ...entries(['old boot'], t, { boot: before }),
  ]);
  await writeJournal(dir, entries(['new boot'], t + 1000, { boot: 'c'.repeat(32) }));
  const { rec, source } = await startAfterBase(dir);
  await until('new boot', () => rec.texts.includes('new boot'));
  await source.stop();
  assert.deepEqual(rec.texts, ['old boot', 'new boot']);
});

test('JournalSource resumes after a SIGKILL of the reading process, and its journalctl dies with it', {
  skip,
}, async () => {
  const dir = tempDir();
  const t = Date.now() - 60_000;
  await writeJournal(dir, [{ message: 'base', time: t - 1000 }, ...entries(['a1', 'a2', 'a3'], t)]);
  const script = join(dir, 'reader.mjs');
  const module = pathToFileURL(join(import.meta.dirname, 'journal.js')).href;
  writeFileSync(
    script,
    `import { JournalSource } from ${JSON.stringify(module)};
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const source = new JournalSource(JSON.parse(process.argv[2]), {
  lines: (block) => say({ block }), position: (position) => say({ position }),
  stderr() {}, notice() {}, cut() {}, read() {},
});
await source.start();
say({ pid: source.status.pid });
`,
  );
  const child = spawn(
    process.execPath,
    [script, JSON.stringify(options(dir, { position: { cursor: cursors(dir)[0] } }))],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const said: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) said.push(JSON.parse(line) as Record<string, unknown>);
  });
  await until(
    'a position and a pid',
    () => said.some((s) => 'pid' in s) && said.some((s) => 'position' in s),
  );
  const guard = said.find((s) => 'pid' in s)!['pid'] as number;
  const journalctl = Number(
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(guard)], { encoding: 'utf8' }).trim(),
  );
  child.kill('SIGKILL');
  await until('journalctl to die with its reader', () => !alive(journalctl) && !alive(guard));
  const position = said.filter((s) => 'position' in s).at(-1)!['position'] as Position;
  const seen = said.filter((s) => 'block' in s).map((s) => s['block']);
  await writeJournal(dir, entries(['b1', 'b2'], Date.now() - 100));
  const rec = new Recorder();
  const source = new JournalSource(options(dir, { position }), rec);
  await source.start();
  await until('b2', () => rec.texts.includes('b2'));
  await source.stop();
  const unread = ['a1', 'a2', 'a3'].filter((a) => !seen.includes(a));
  assert.deepEqual(rec.texts, [...unread, 'b1', 'b2']);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('JournalSource whose cursor the journal no longer holds says so and reads from the oldest entry within catchUp', {
  skip,
}, async () => {
  const dir = tempDir();
  const now = Date.now();
  const first = await writeJournal(
    dir,
    [{ message: 'base', time: now - 120_000 }, ...entries(['a1'], now - 60_000)],
    {
      file: 'first.journal',
    },
  );
  const reading = await startAfterBase(dir);
  await until('a1', () => reading.rec.texts.includes('a1'));
  await reading.source.stop();
  rmSync(first);
  await writeJournal(
    dir,
    [
      ...entries(['too old'], now - 7_200_000),
      ...entries(['within one', 'within two'], now - 600_000),
    ],
    { file: 'second.journal' },
  );
  const rec = new Recorder();
  const source = new JournalSource(options(dir, { position: reading.rec.last }), rec);
  await source.start();
  await until('within two', () => rec.texts.includes('within two'));
  await source.stop();
  assert.deepEqual(rec.texts, ['within one', 'within two']);
  assert.ok(
    rec.notices.includes(
      'WARN the journal no longer holds the entry of the saved cursor (vacuumed?): reading from the oldest entry within 1h',
    ),
    rec.notices.join('\n'),
  );
});

test('JournalSource with a cursor older than catchUp drops the entries older than catchUp', {
  skip,
}, async () => {
  const dir = tempDir();
  const now = Date.now();
  await writeJournal(dir, [
    { message: 'base', time: now - 7_200_000 },
    ...entries(['too old'], now - 5_400_000),
    ...entries(['recent'], now - 600_000),
  ]);
  const { rec, source } = await startAfterBase(dir);
  await until('recent', () => rec.texts.includes('recent'));
  await source.stop();
  assert.deepEqual(rec.texts, ['recent']);
});

test('JournalSource with a malformed saved cursor warns and reads new entries only', {
  skip,
}, async () => {
  const dir = tempDir();
  await writeJournal(dir, entries(['old'], Date.now() - 5000));
  const rec = new Recorder();
  const source = new JournalSource(options(dir, { position: { cursor: 's=1;i=2;rm -rf /' } }), rec);
  await source.start();
  await ready(dir, rec);
  await writeJournal(dir, entries(['new']));
  await until('new', () => rec.texts.includes('new'));
  await source.stop();
  assert.deepEqual(rec.texts, ['new']);
  assert.equal(
    rec.notices[0],
    'WARN the saved position {"cursor":"s=1;i=2;rm -rf /"} is not a journal cursor: it is ignored',
  );
});

test("JournalSource surfaces journalctl's stderr and its exit (a directory that does not exist)", {
  skip,
}, async () => {
  const dir = join(tempDir(), 'none');
  const rec = new Recorder();
  const source = new JournalSource(options(dir), rec);
  await source.start();
  await until('an exit', () => rec.notices.some((n) => n.startsWith('ERROR')));
  assert.equal(source.status.state, 'restarting');
  await source.stop();
  assert.deepEqual(rec.stderrs, [`Failed to open ${dir}: No such file or directory`]);
  assert.equal(
    rec.notices.find((n) => n.startsWith('ERROR')),
    `ERROR "journalctl" died (exit status 1); last stderr line: Failed to open ${dir}: No such file or directory; starting it again in 1s`,
  );
  assert.equal(source.status.lastExit, 'exit status 1');
});

test('JournalSource on an empty directory waits, and reads a journal file that appears in it', {
  skip,
}, async () => {
  const dir = tempDir();
  const rec = new Recorder();
  const source = new JournalSource(options(dir), rec);
  await source.start();
  await ready(dir, rec, { file: 'later.journal' });
  await writeJournal(dir, entries(['in a new file']), { file: 'later.journal' });
  await until('the entry', () => rec.texts.includes('in a new file'));
  assert.equal(source.status.state, 'running');
  await source.stop();
  assert.deepEqual(rec.stderrs, []);
});

test('JournalSource whose journalctl is killed starts it again after the last cursor: nothing lost or repeated', {
  skip,
}, async () => {
  const dir = tempDir();
  await writeJournal(dir, entries(['before'], Date.now() - 5000));
  const rec = new Recorder();
  const source = new JournalSource(options(dir), rec);
  await source.start();
  await ready(dir, rec);
  await writeJournal(dir, entries(['one', 'two']));
  await until('two', () => rec.texts.includes('two'));
  const guard = source.status.pid!;
  const journalctl = Number(
    execFileSync('ps', ['-o', 'pid=', '--ppid', String(guard)], { encoding: 'utf8' }).trim(),
  );
  process.kill(journalctl, 'SIGKILL');
  await until('a restart', () => source.status.state === 'restarting');
  await writeJournal(dir, entries(['three', 'four']));
  await until(
    'a second run',
    () => source.status.restarts === 1 && source.status.state === 'running',
  );
  await until('four', () => rec.texts.includes('four'));
  await writeJournal(dir, entries(['five'], Date.now() + 1000));
  await until('five', () => rec.texts.includes('five'));
  await source.stop();
  assert.deepEqual(rec.texts, ['one', 'two', 'three', 'four', 'five']);
  assert.match(rec.notices.join('\n'), /ERROR "journalctl" died \(.*SIGKILL.*|exit status .*\)/);
});

test('JournalSource.start() rejects when journalctl cannot be run', { skip }, async () => {
  const dir = tempDir();
  const source = new JournalSource(
    options(dir, { program: join(dir, 'no-journalctl') }),
    new Recorder(),
  );
  await assert.rejects(
    source.start(),
    /^Error: journal stream test: cannot start ".*no-journalctl": /,
  );
  assert.equal(source.status.state, 'stopped');
});
