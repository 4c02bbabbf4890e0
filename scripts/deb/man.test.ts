import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inline, manPages, toMan } from './man.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('inline()', () => {
  const rows: readonly [string, string][] = [
    ['`-c PATH`', '\\fB\\-c PATH\\fR'],
    ['use -c or --version here', 'use \\-c or \\-\\-version here'],
    ['long-running', 'long-running'],
    ['`stream → filter`', '\\fBstream \\(-> filter\\fR'],
    ['`\\d+`', '\\fB\\ed+\\fR'],
    ['**what** and *why*', '\\fBwhat\\fR and \\fIwhy\\fR'],
    ['[Files](#files)', 'Files'],
    ['[reaction](https://reaction.ppom.me)', 'reaction <https://reaction.ppom.me>'],
    ['≥ 20 — µs…', '\\(>= 20 \\(em \\(mcs...'],
    ['a ✓', 'a \\[u2713]'],
  ];
  for (const [markdown, troff] of rows) {
    test(`inline() writes ${JSON.stringify(markdown)} as ${JSON.stringify(troff)}`, () => {
      assert.equal(inline(markdown), troff);
    });
  }
});

describe('toMan()', () => {
  test('toMan() protects code lines that troff would read as requests', () => {
    const lines = toMan("```\n.hidden\n'quoted\n```");
    assert.deepEqual(lines, ['.PP', '.RS 4', '.nf', '\\&.hidden', "\\&'quoted", '.fi', '.RE']);
  });

  test('toMan() turns a table into tagged paragraphs, middle columns named', () => {
    const lines = toMan(
      '| key | type | meaning |\n|---|---|---|\n| `retry` | integer | how many |',
    );
    assert.deepEqual(lines, [
      '.PP',
      '.TP',
      '\\fBretry\\fR',
      '\\fItype\\fR: integer',
      '.br',
      'how many',
    ]);
  });
});

/** What `man` says of a page on stderr: groff's warnings, as lintian reads them. */
function manWarnings(page: string): { code: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-man-'));
  try {
    const file = join(dir, 'page');
    writeFileSync(file, page);
    const r = spawnSync('man', ['--warnings', '-E', 'UTF-8', '-l', '-Tutf8', '-Z', file], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '80', LC_ALL: 'C.UTF-8' },
    });
    return { code: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('manPages()', () => {
  const pages = manPages(README, { version: '1.2.3', date: '2026-01-02' });

  test('manPages() writes riposte(8) and riposte.conf(5) with their header', () => {
    assert.deepEqual(
      pages.map((p) => p.file),
      ['riposte.8', 'riposte.conf.5'],
    );
    assert.match(
      pages[0]!.text,
      /^\.TH RIPOSTE 8 2026-01-02 "riposte 1\.2\.3" "System Administration"$/m,
    );
    assert.match(
      pages[1]!.text,
      /^\.TH RIPOSTE\.CONF 5 2026-01-02 "riposte 1\.2\.3" "File Formats"$/m,
    );
  });

  test('manPages() puts every command of the README in the synopsis of riposte(8)', () => {
    const synopsis = pages[0]!.text.split('.SH SYNOPSIS\n')[1]!.split('.SH ')[0]!;
    for (const command of [
      'start',
      'show',
      'flush',
      'trigger',
      'status',
      'test-regex',
      'test-config',
    ]) {
      const line = `\\fBriposte\\fR ${command.replace('-', '\\-')}`;
      assert.ok(
        synopsis.split('\n').some((l) => l === line || l.startsWith(`${line} `)),
        command,
      );
    }
  });

  test('manPages() writes riposte.conf(5) from every subsection of the configuration', () => {
    for (const heading of [
      'Files',
      'Durations',
      'Top level',
      'Patterns',
      'Streams',
      'Filters',
      'Actions',
    ]) {
      assert.match(pages[1]!.text, new RegExp(`^\\.SS "${heading}"$`, 'm'));
    }
  });

  test('manPages() writes pages that man renders without a warning', {
    skip: spawnSync('man', ['--version']).error === undefined ? false : 'man is not installed',
  }, () => {
    for (const page of pages) {
      const r = manWarnings(page.text);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', page.file);
    }
  });
});
