// The options of `type: file` and `type: journal` streams: what loadConfig() builds from
// them, the catch-up bound and its default, the errors that name each wrong key, and the
// warnings about files that are not there (lint-sources.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'rss-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Loads a configuration of one stream `s` of `type` with `options` and a filter `f`. */
async function load(type: string, options: unknown, filter: Record<string, unknown> = {}) {
  const path = join(dir, `c${n++}.json`);
  const stream: Record<string, unknown> = {
    type,
    filters: { f: { regex: ['x <ip>'], actions: { a: { cmd: ['echo', '<ip>'] } }, ...filter } },
  };
  if (options !== undefined) stream['options'] = options;
  writeFileSync(path, JSON.stringify({ patterns: { ip: { type: 'ip' } }, streams: { s: stream } }));
  return loadConfig(path);
}

function errors(loaded: Awaited<ReturnType<typeof load>>): string[] {
  if (loaded.ok) return [];
  return loaded.errors.map((e) => e.message.replace(/^[^:]+:\d+:\d+: /, ''));
}

describe('file streams', () => {
  test('path becomes paths; catch_up defaults to the longest retryperiod', async () => {
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const loaded = await load('file', { path: log }, { retry: 3, retryperiod: '6h' });
    assert.ok(loaded.ok, JSON.stringify(errors(loaded)));
    const s = loaded.config.streams[0]!;
    assert.deepEqual(s.source, { type: 'file', paths: [log] });
    assert.equal(s.catchUp, 6 * 3_600_000);
    assert.deepEqual(s.cmd, []);
    assert.deepEqual(loaded.warnings, []);
  });

  test('catch_up is read as a duration; without any retryperiod the bound is an hour', async () => {
    const log = join(dir, 'auth.log');
    const set = await load('file', { paths: [log], catch_up: '2d' });
    assert.ok(set.ok);
    assert.equal(set.config.streams[0]!.catchUp, 2 * 86_400_000);
    const unset = await load('file', { paths: [log] });
    assert.ok(unset.ok);
    assert.equal(unset.config.streams[0]!.catchUp, 3_600_000);
  });

  test('wrong options are named by their key', async () => {
    assert.deepEqual(errors(await load('file', undefined)), [
      'streams.s: a file stream needs options: { path: /var/log/… }',
    ]);
    assert.deepEqual(errors(await load('file', { path: '/a', paths: ['/b'] })), [
      'streams.s.options: write either "path" (one file) or "paths" (a list), once',
    ]);
    assert.deepEqual(
      errors(await load('file', { paths: ['var/log/x', '/var/*/x.log', '/var/log/'] })),
      [
        'streams.s.options.paths[0]: "var/log/x" is not an absolute path',
        'streams.s.options.paths[1]: "/var/*/x.log": globs are read in the file name only, not in its directories',
        'streams.s.options.paths[2]: "/var/log/" names a directory, not a file',
      ],
    );
    assert.deepEqual(errors(await load('file', { path: '/x', catchup: '1h' })), [
      'streams.s.options.catchup: unknown key, did you mean "catch_up"?',
    ]);
    assert.deepEqual(errors(await load('file', { path: '/x', catch_up: '1 fortnight' })).length, 1);
  });

  test('a file stream takes no command', async () => {
    const path = join(dir, `c${n++}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        streams: {
          s: {
            type: 'file',
            cmd: ['tail'],
            options: { path: '/x' },
            filters: { f: { regex: ['x'], actions: { a: { cmd: ['echo'] } } } },
          },
        },
      }),
    );
    assert.deepEqual(errors(await loadConfig(path)), [
      'streams.s.cmd: a file stream has no command: it reads the files its options name',
    ]);
  });

  test('a missing file, a glob matching none and a tail -F of a missing file are warned about', async () => {
    const missing = join(dir, 'nope.log');
    const loaded = await load('file', { paths: [missing, join(dir, 'none-*.log'), dir] });
    assert.ok(loaded.ok);
    assert.deepEqual(
      loaded.warnings.map((w) => w.message),
      [
        `streams.s.options.paths[0]: file "${missing}" does not exist: the stream reads it from its start once it appears`,
        `streams.s.options.paths[1]: no file matches "${join(dir, 'none-*.log')}" yet: the stream reads each from its start once it appears`,
        `streams.s.options.paths[2]: "${dir}" is a directory: the stream reads regular files only`,
      ],
    );
    const path = join(dir, `c${n++}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        streams: {
          s: {
            cmd: ['tail', '-Fn0', missing],
            filters: { f: { regex: ['x'], actions: { a: { cmd: ['echo'] } } } },
          },
        },
      }),
    );
    const tailed = await loadConfig(path);
    assert.deepEqual(
      tailed.warnings.map((w) => w.message),
      [
        `streams.s.cmd[2]: file "${missing}" does not exist: the stream reads it from its start once it appears`,
      ],
    );
  });
});

describe('journal streams', () => {
  test('options become units, identifiers, matches; none is the whole journal', async () => {
    const loaded = await load('journal', {
      units: ['ssh.service'],
      identifiers: ['sshd'],
      matches: ['_TRANSPORT=kernel'],
      with_identifier: true,
      catch_up: '30m',
    });
    assert.ok(loaded.ok, JSON.stringify(errors(loaded)));
    const s = loaded.config.streams[0]!;
    assert.deepEqual(s.source, {
      type: 'journal',
      units: ['ssh.service'],
      identifiers: ['sshd'],
      matches: ['_TRANSPORT=kernel'],
      directory: undefined,
      files: [],
      withIdentifier: true,
    });
    assert.equal(s.catchUp, 1_800_000);
    const bare = await load('journal', undefined);
    assert.ok(bare.ok);
    assert.equal(bare.config.streams[0]!.source?.type, 'journal');
  });

  test('wrong options are named by their key', async () => {
    assert.deepEqual(
      errors(
        await load('journal', {
          matches: ['_transport=kernel', 'MESSAGE'],
          directory: 'j',
          files: ['/j/x.journal'],
          with_identifier: 'yes',
          unit: ['x'],
        }),
      ),
      [
        'streams.s.options.unit: unknown key, did you mean "units"?',
        'streams.s.options.matches[0]: "_transport=kernel": expected FIELD=value, the field in capitals as _SYSTEMD_UNIT=ssh.service',
        'streams.s.options.matches[1]: "MESSAGE": expected FIELD=value, the field in capitals as _SYSTEMD_UNIT=ssh.service',
        'streams.s.options.directory: "j" is not an absolute path',
        'streams.s.options: write either "directory" or "files", not both',
        'streams.s.options.with_identifier: expected true or false, got the string "yes"',
      ],
    );
  });
});
