// `riposte filters` and the expanded filter of `riposte test-config`, run as a user runs them:
// the real CLI in a child process.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { libraryNames, readLibraryFilter } from '../concepts/library-file.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../main.js');

function riposte(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('riposte filters lists every library filter with what it catches, its modes and its logs', () => {
  const r = riposte('filters');
  assert.equal(r.status, 0, r.stderr);
  const names = r.stdout
    .split('\n')
    .filter((line) => /^\S/.test(line))
    .map((line) => line.split(/\s+/)[0]);
  assert.deepEqual(names.slice(0, -1), libraryNames());
  const sshd = r.stdout.slice(r.stdout.indexOf('\nsshd '));
  assert.match(
    sshd,
    /^\nsshd +OpenSSH server: .*\n +modes: ddos, extra, aggressive\n +logs: journald ssh\.service sshd\.service; syslog sshd sshd-session; files \/var\/log\/auth\.log \/var\/log\/secure\n/,
  );
  assert.match(r.stdout, /\n94 filters\. Enable one with "use: NAME"/);
});

test('riposte filters NAME shows each mode as use: brings it', () => {
  const r = riposte('filters', 'postfix', '-f', 'json');
  assert.equal(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as {
    name: string;
    modes: Record<string, { use: string; regex: string[]; retry: number }>;
  };
  const library = readLibraryFilter('postfix');
  assert.equal(shown.name, 'postfix');
  assert.deepEqual(Object.keys(shown.modes), [...library.modes.keys()]);
  assert.equal(shown.modes['rbl']!.use, 'postfix-rbl');
  assert.equal(shown.modes['rbl']!.retry, 1);
  assert.deepEqual(shown.modes['sasl']!.regex, library.modes.get('sasl')!.regex);
});

test('riposte filters NAME-MODE shows that mode alone, in YAML by default', () => {
  const r = riposte('filters', 'sshd-ddos');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^name: sshd\n/);
  assert.match(r.stdout, /\nmodes:\n {2}ddos:\n {4}use: sshd-ddos\n/);
  assert.doesNotMatch(r.stdout, /\n {2}normal:/);
});

test('riposte filters with an unknown name fails and names the closest one', () => {
  const r = riposte('filters', 'ngnix-http-auth');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'riposte: unknown library filter "ngnix-http-auth", did you mean "nginx-http-auth"? ("riposte filters" lists them)\n',
  );
});

test('riposte test-config prints a filter that uses the library with its regexes and retry rule written out', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'c.yml');
  writeFileSync(
    path,
    "streams:\n  ssh:\n    cmd: ['true']\n    filters:\n      sshd:\n        use: sshd\n        actions: {ban: {cmd: ['true', '<ip>']}}\n",
  );
  const r = riposte('test-config', '-c', path, '-f', 'json');
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout) as {
    patterns: Record<string, { type: string; ignore: string[] }>;
    streams: {
      ssh: { filters: { sshd: { regex: string[]; retry: number; retryperiod: string } } };
    };
  };
  const sshd = config.streams.ssh.filters.sshd;
  assert.deepEqual(sshd.regex, readLibraryFilter('sshd').modes.get('normal')!.regex);
  assert.equal(sshd.retry, 5);
  assert.equal(sshd.retryperiod, '10m');
  assert.deepEqual(config.patterns['ip'], {
    type: 'ip',
    ignore: ['127.0.0.1', '::1'],
    ignoreregex: [],
    ignorecidr: [],
  });
});
