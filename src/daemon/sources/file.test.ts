import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileSource } from './file.js';
import type { Position, SourceSink } from './source.js';

const DEADLINE = 10_000;
/** Stopped at the end of each test, even a failed one, so that no timer keeps the process alive. */
const running: FileSource[] = [];

class Recorder implements SourceSink {
  readonly blocks: { block: string; caughtUp: boolean }[] = [];
  readonly notices: string[] = [];
  positions: Position[] = [];
  bytes = 0;
  cuts = 0;

  lines(block: string, o: { time: number | undefined; caughtUp: boolean }): void {
    assert.equal(o.time, undefined);
    this.blocks.push({ block, caughtUp: o.caughtUp });
  }
  position(position: Position): void {
    this.positions.push(structuredClone(position));
  }
  stderr(): void {
    assert.fail('a file source has no stderr');
  }
  notice(level: 'INFO' | 'WARN' | 'ERROR', message: string): void {
    this.notices.push(`${level} ${message}`);
  }
  cut(): void {
    this.cuts++;
  }
  read(bytes: number): void {
    this.bytes += bytes;
  }

  /** Every line handed over, "!" before those caught up. */
  all(): string[] {
    return this.blocks.flatMap(({ block, caughtUp }) =>
      block.split('\n').map((line) => (caughtUp ? `!${line}` : line)),
    );
  }
  get last(): Position {
    return this.positions.at(-1);
  }
}

async function waitFor(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + DEADLINE;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function lines(rec: Recorder, expected: string[]): Promise<void> {
  await waitFor(`lines ${JSON.stringify(expected)}`, () => rec.all().length >= expected.length);
  assert.deepEqual(rec.all(), expected);
}

function noticed(rec: Recorder, part: string): Promise<void> {
  return waitFor(`a notice with ${part}`, () => rec.notices.some((n) => n.includes(part)));
}

async function follow(
  paths: string[],
  position?: Position,
): Promise<{ source: FileSource; rec: Recorder }> {
  const rec = new Recorder();
  const source = new FileSource({ name: 's', paths, position, poll: 10 }, rec);
  running.push(source);
  await source.start();
  return { source, rec };
}

/** Reads `path` to its present end, stops, and gives the position it left. */
async function readAndStop(source: FileSource, rec: Recorder, path: string): Promise<Position> {
  const size = statSync(path).size;
  await waitFor('the end of the file', () => offsetOf(rec.last, path) === size);
  await source.stop();
  return rec.last;
}

function offsetOf(position: Position, path: string): number | undefined {
  const files = (position as { files: { path: string; offset?: number }[] }).files;
  return files.find((f) => f.path === path)?.offset;
}

function inDir(name: string, body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `riposte-file-${name}-`));
    try {
      await body(dir);
    } finally {
      for (const source of running.splice(0)) await source.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'FileSource reads lines appended while it runs, not caught up',
  inDir('live', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'one\ntwo\r\n');
    await lines(rec, ['one', 'two\r']);
    appendFileSync(log, 'three\n');
    await lines(rec, ['one', 'two\r', 'three']);
    assert.equal(source.status.state, 'running');
    assert.equal(source.status.pid, undefined);
    assert.equal(offsetOf(rec.last, log), 15);
    await source.stop();
    assert.equal(source.status.state, 'stopped');
  }),
);

test(
  'FileSource hands a line written in two halves over once, whole, and resumes before it',
  inDir('halves', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'first\nhal');
    await lines(rec, ['first']);
    await waitFor('the half line read', () => rec.bytes === 9);
    assert.equal(offsetOf(rec.last, log), 6, 'the position stays before the half line');
    const position = rec.last;
    appendFileSync(log, 'f\n');
    await lines(rec, ['first', 'half']);
    await source.stop();

    const again = await follow([log], position);
    await lines(again.rec, ['!half']);
    await again.source.stop();
  }),
);

test(
  'FileSource started without a position reads a present file from its end',
  inDir('end', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, 'history\n');
    const { source, rec } = await follow([log]);
    assert.equal(offsetOf(rec.last, log), 8, 'the position is taken at start');
    appendFileSync(log, 'new\n');
    await lines(rec, ['new']);
    await source.stop();
  }),
);

test(
  'FileSource resumes after a stop with the lines appended meanwhile, caught up, then live',
  inDir('resume', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const first = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(first.rec, ['a']);
    const position = await readAndStop(first.source, first.rec, log);
    appendFileSync(log, 'b\nc\n');
    const { source, rec } = await follow([log], position);
    await lines(rec, ['!b', '!c']);
    appendFileSync(log, 'd\n');
    await lines(rec, ['!b', '!c', 'd']);
    assert.deepEqual(rec.notices, []);
    await source.stop();
  }),
);

test(
  'FileSource follows a rename rotation while running: the old file to its end, then the new one',
  inDir('rename', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(rec, ['a']);
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, 'b\n');
    writeFileSync(log, 'c\n');
    await lines(rec, ['a', 'b', 'c']);
    await noticed(rec, `INFO file ${log} was rotated`);
    appendFileSync(log, 'd\n');
    await lines(rec, ['a', 'b', 'c', 'd']);
    await source.stop();
  }),
);

test(
  'FileSource resumes after a rename rotation while stopped: the end of .1, then the new file',
  inDir('rename-stopped', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const first = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(first.rec, ['a']);
    const position = await readAndStop(first.source, first.rec, log);
    appendFileSync(log, 'b\n');
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'c\n');
    const { source, rec } = await follow([log], position);
    await lines(rec, ['!b', '!c']);
    assert.deepEqual(rec.notices, [
      `INFO file ${log} was rotated while riposte was stopped: read the end of ${log}.1 (2 bytes), then the new file from its start`,
    ]);
    appendFileSync(log, 'd\n');
    await lines(rec, ['!b', '!c', 'd']);
    await source.stop();
  }),
);

test(
  'FileSource follows a copytruncate while running: the file read again from its start',
  inDir('copytruncate', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'a long line\n');
    await lines(rec, ['a long line']);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, 'b\n');
    await lines(rec, ['a long line', 'b']);
    await noticed(rec, `INFO file ${log} was truncated`);
    await source.stop();
  }),
);

test(
  'FileSource resumes after a copytruncate while stopped: the end of the copy, then the file',
  inDir('copytruncate-stopped', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const first = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(first.rec, ['a']);
    const position = await readAndStop(first.source, first.rec, log);
    appendFileSync(log, 'b\n');
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    appendFileSync(log, 'c\n');
    const { source, rec } = await follow([log], position);
    await lines(rec, ['!b', '!c']);
    assert.match(rec.notices.join('\n'), /read the end of .*x\.log\.1 \(2 bytes\)/);
    await source.stop();
  }),
);

test(
  'FileSource reads from its start a file replaced while stopped by one with the same inode (simulated: rewritten in place, other first bytes, same size)',
  inDir('same-inode', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, 'one\ntwo\n');
    const first = await follow([log]);
    const position = await readAndStop(first.source, first.rec, log);
    const inode = statSync(log).ino;
    writeFileSync(log, 'ten\nsix\n');
    assert.equal(statSync(log).ino, inode);
    const { source, rec } = await follow([log], position);
    await lines(rec, ['!ten', '!six']);
    assert.deepEqual(rec.notices, [
      `INFO file ${log} was truncated or replaced while riposte was stopped: read from its start`,
    ]);
    await source.stop();
  }),
);

test(
  'FileSource reads a file rewritten in place while running (other first bytes) from its start',
  inDir('same-inode-live', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, 'one\n');
    const { source, rec } = await follow([log]);
    writeFileSync(log, 'ten\nsix\n');
    await lines(rec, ['ten', 'six']);
    await source.stop();
  }),
);

test(
  'FileSource reads a file truncated while stopped from its start',
  inDir('truncated', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, 'abc\n');
    const first = await follow([log]);
    appendFileSync(log, 'def\n');
    await lines(first.rec, ['def']);
    const position = await readAndStop(first.source, first.rec, log);
    writeFileSync(log, 'abc\n');
    const { source, rec } = await follow([log], position);
    await lines(rec, ['!abc']);
    assert.match(rec.notices.join('\n'), /was truncated or replaced while riposte was stopped/);
    await source.stop();
  }),
);

test(
  'FileSource says a file was deleted and reads it from its start once made again',
  inDir('deleted', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(rec, ['a']);
    unlinkSync(log);
    await noticed(
      rec,
      `WARN file ${log} was deleted: it is read from its start once it appears again`,
    );
    assert.deepEqual(rec.last, { files: [{ path: log, missing: true }] });
    writeFileSync(log, 'b\n');
    await lines(rec, ['a', 'b']);
    await noticed(rec, `INFO file ${log} appeared: read from its start`);
    await source.stop();
  }),
);

test(
  'FileSource follows a file whose directory is deleted and made again',
  inDir('directory', async (dir) => {
    const sub = join(dir, 'sub');
    const log = join(sub, 'x.log');
    mkdirSync(sub);
    writeFileSync(log, '');
    const { source, rec } = await follow([log]);
    appendFileSync(log, 'a\n');
    await lines(rec, ['a']);
    rmSync(sub, { recursive: true });
    await noticed(rec, `file ${log} was deleted`);
    mkdirSync(sub);
    writeFileSync(log, 'b\n');
    await lines(rec, ['a', 'b']);
    await source.stop();
  }),
);

test(
  'FileSource reads a file that comes to match its glob from its start',
  inDir('glob', async (dir) => {
    writeFileSync(join(dir, 'a.log'), 'old\n');
    writeFileSync(join(dir, 'skip.txt'), '');
    const { source, rec } = await follow([join(dir, '[ab].log')]);
    writeFileSync(join(dir, 'b.log'), 'new\n');
    await lines(rec, ['new']);
    appendFileSync(join(dir, 'a.log'), 'more\n');
    appendFileSync(join(dir, 'skip.txt'), 'not this\n');
    await lines(rec, ['new', 'more']);
    assert.deepEqual(rec.notices, []);
    await source.stop();
  }),
);

test(
  'FileSource does not read again a file renamed by a rotation into a name its glob matches',
  inDir('glob-rotation', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { source, rec } = await follow([join(dir, 'x.log*')]);
    appendFileSync(log, 'a\n');
    await lines(rec, ['a']);
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'b\n');
    await lines(rec, ['a', 'b']);
    appendFileSync(`${log}.1`, 'c\n');
    await lines(rec, ['a', 'b', 'c']);
    await source.stop();
  }),
);

test(
  'FileSource warns of a missing path and reads the file from its start when it appears',
  inDir('missing', async (dir) => {
    const log = join(dir, 'x.log');
    const glob = join(dir, '*.log');
    const { source, rec } = await follow([log, glob]);
    assert.deepEqual(rec.notices, [
      `WARN file ${log} does not exist: it is read from its start once it appears`,
      `WARN file ${glob} does not exist: it is read from its start once it appears`,
    ]);
    writeFileSync(log, 'a\n');
    await lines(rec, ['a']);
    await source.stop();
  }),
);

test(
  'FileSource refuses a fifo without blocking and reads its other files',
  inDir('fifo', async (dir) => {
    const fifo = join(dir, 'fifo');
    const log = join(dir, 'x.log');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(log, '');
    const { source, rec } = await follow([fifo, log, dir]);
    assert.deepEqual(rec.notices, [
      `ERROR file ${fifo}: cannot read: a fifo, not a regular file`,
      `ERROR file ${dir}: cannot read: a directory, not a regular file`,
    ]);
    appendFileSync(log, 'a\n');
    await lines(rec, ['a']);
    assert.equal(rec.notices.length, 2, 'each refusal is said once');
    await source.stop();
  }),
);

const EACCES_TEST =
  'FileSource says a file it may not read cannot be read, and reads it once allowed';

/**
 * Root may read any file: as root, the test runs again in a process of its own as the user
 * nobody (65534), this file's test of that name only, and must pass there.
 */
function asNobody(): void {
  const run = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-reporter=tap',
      `--test-name-pattern=^${EACCES_TEST}$`,
      fileURLToPath(import.meta.url),
    ],
    { uid: 65534, gid: 65534, encoding: 'utf8', cwd: tmpdir(), env: outsideTheRunner() },
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^# pass 1$/m, run.stdout);
}

/** The environment without the variable that makes a test process report to its runner. */
function outsideTheRunner(): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return env;
}

test(
  EACCES_TEST,
  process.getuid?.() === 0
    ? asNobody
    : inDir('eacces', async (dir) => {
        const log = join(dir, 'x.log');
        writeFileSync(log, 'a\n', { mode: 0o000 });
        const { source, rec } = await follow([log]);
        assert.deepEqual(rec.notices, [`ERROR file ${log}: cannot read: permission denied`]);
        chmodSync(log, 0o600);
        await lines(rec, ['a']);
        await source.stop();
      }),
);

test(
  'FileSource ignores a malformed position with a notice and reads as if there were none',
  inDir('malformed', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, 'history\n');
    const position = {
      files: [
        { path: log, dev: '1', ino: '2', offset: -1, head: { length: 0, sha256: '0'.repeat(64) } },
      ],
    };
    const { source, rec } = await follow([log], position);
    assert.deepEqual(rec.notices, [
      'WARN stream s: the saved file position is not valid (files[0].offset: not a whole number ≥ 0): files are read as if there were none',
    ]);
    appendFileSync(log, 'new\n');
    await lines(rec, ['new']);
    await source.stop();
  }),
);

test(
  'FileSource stopped by its sink amid a large read hands nothing more, and its position resumes at the next line',
  inDir('stop-midway', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const text: string[] = [];
    for (let i = 0; i < 300_000; i++) text.push(`line ${i}`);
    const first = await follow([log]);
    const record = first.rec.lines.bind(first.rec);
    first.rec.lines = (block, o) => {
      record(block, o);
      void first.source.stop();
    };
    appendFileSync(log, `${text.join('\n')}\n`);
    await waitFor('a first block', () => first.rec.blocks.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(first.rec.blocks.length, 1, 'nothing after stop');
    const before = first.rec.all();
    assert.ok(before.length < text.length, 'stopped before the end');
    const second = await follow([log], first.rec.last);
    await waitFor('the rest', () => before.length + second.rec.all().length >= text.length);
    const rest = second.rec.all().map((line) => line.slice(1));
    assert.deepEqual([...before, ...rest], text);
  }),
);

test(
  'FileSource hands 1,000,000 lines appended at once over exactly once, in order',
  inDir('million', async (dir) => {
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const count = 1_000_000;
    const text: string[] = [];
    for (let i = 0; i < count; i++) text.push(`line ${i}`);
    const rec = new Recorder();
    let seen = 0;
    let ordered = true;
    const hash = createHash('sha256');
    rec.lines = (block) => {
      hash.update(block).update('\n');
      for (const line of block.split('\n')) {
        if (line !== `line ${seen}`) ordered = false;
        seen++;
      }
    };
    const source = new FileSource({ name: 's', paths: [log], position: undefined, poll: 10 }, rec);
    running.push(source);
    await source.start();
    const started = process.hrtime.bigint();
    const written = `${text.join('\n')}\n`;
    appendFileSync(log, written);
    await waitFor('a million lines', () => seen >= count);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(seen, count);
    assert.ok(ordered, 'every line in order, none twice');
    assert.equal(hash.digest('hex'), createHash('sha256').update(written).digest('hex'));
    assert.equal(offsetOf(rec.last, log), statSync(log).size);
    console.log(
      `# 1,000,000 lines (${statSync(log).size} bytes) handed over in ${ms.toFixed(0)} ms`,
    );
    await source.stop();
  }),
);
