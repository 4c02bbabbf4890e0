// The measurement behind the journal source's figure: entries per second read from a
// 100,000-entry journal, caught up after a cursor. Runs only with JOURNAL_BENCH=1 (slow).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JournalSource } from './journal.js';
import { journalToolsMissing, type TestEntry, writeJournal } from './journal-files.js';
import type { SourceSink } from './source.js';

const ENTRIES = 100_000;
const skip =
  process.env['JOURNAL_BENCH'] === undefined
    ? 'set JOURNAL_BENCH=1'
    : (journalToolsMissing() ?? false);

for (const withIdentifier of [false, true])
  test(`JournalSource reads a ${ENTRIES}-entry journal (withIdentifier ${withIdentifier})`, {
    skip,
  }, async () => {
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
        `# ${ENTRIES} entries in ${seconds.toFixed(2)} s: ${Math.round(ENTRIES / seconds)} entries/s, ${blocks} blocks`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
