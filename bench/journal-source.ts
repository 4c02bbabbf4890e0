// What the journal source reads per second: a 100,000-entry journal written by
// systemd-journal-remote, read after a cursor by JournalSource alone (no filter), with and
// without the identifier prefix. Prints entries per second and blocks (not in the table).
//
//   node dist/bench/journal-source.js

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalSource } from '../src/daemon/sources/journal.js';
import {
  journalToolsMissing,
  type TestEntry,
  writeJournal,
} from '../src/daemon/sources/journal-files.js';
import type { SourceSink } from '../src/daemon/sources/source.js';

const ENTRIES = 100_000;

async function run(withIdentifier: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-journal-bench-'));
  try {
    const t = Date.now() - 600_000;
    await writeJournal(dir, [{ message: 'base', time: t - 1000 }]);
    const first = execFileSync('journalctl', [`--directory=${dir}`, '-o', 'json', '--no-pager'], {
      encoding: 'utf8',
    });
    const cursor = (JSON.parse(first) as { __CURSOR: string }).__CURSOR;
    const entries: TestEntry[] = [];
    for (let i = 0; i < ENTRIES; i++)
      entries.push({
        message: `Failed password for invalid user admin from 192.0.2.${i % 250} port ${1024 + i} ssh2`,
        identifier: 'sshd',
        pid: 1000 + (i % 50),
        unit: 'ssh.service',
        time: t + i * 3,
      });
    await writeJournal(dir, entries);
    let lines = 0;
    let blocks = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const sink: SourceSink = {
      lines(block) {
        blocks++;
        for (let i = block.indexOf('\n'); i !== -1; i = block.indexOf('\n', i + 1)) lines++;
        lines++;
        if (lines >= ENTRIES) done();
      },
      position() {},
      stderr() {},
      notice() {},
      cut() {},
      read() {},
    };
    const begun = performance.now();
    const source = new JournalSource(
      {
        name: 'bench',
        units: [],
        identifiers: [],
        matches: [],
        directory: dir,
        files: [],
        withIdentifier,
        position: { cursor },
        catchUp: 3_600_000,
      },
      sink,
    );
    await source.start();
    await finished;
    const seconds = (performance.now() - begun) / 1000;
    await source.stop();
    assert.equal(lines, ENTRIES);
    console.log(
      `withIdentifier ${withIdentifier}: ${ENTRIES} entries in ${seconds.toFixed(2)} s: ${Math.round(ENTRIES / seconds)} entries/s, ${blocks} blocks`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const missing = journalToolsMissing();
if (missing !== undefined) throw new Error(missing);
for (const withIdentifier of [false, true]) await run(withIdentifier);
