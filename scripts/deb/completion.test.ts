// The completion script, written from the help of the compiled riposte and run by bash.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bashCompletion, type CommandHelp, commandsOf, optionsOf } from './completion.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = join(ROOT, 'dist/bundle/main.js');

function help(...command: string[]): string {
  return spawnSync(process.execPath, [MAIN, 'help', ...command], { encoding: 'utf8' }).stdout;
}

function commands(): CommandHelp[] {
  return commandsOf(help()).map((c) => ({
    ...c,
    options: c.name === 'help' ? [] : optionsOf(help(c.name)),
  }));
}

describe('optionsOf()', () => {
  test('optionsOf() reads flags, value names and the choices of wrapped entries', () => {
    const text = [
      'Options:',
      '  -s, --socket <path>    control socket (default:',
      '                         "/run/riposte/riposte.sock")',
      '  -f, --format <format>  output format (choices: "yaml", "json",',
      '                         default: "yaml")',
      '  -h, --help             display help for command',
    ].join('\n');
    assert.deepEqual(optionsOf(text), [
      { flags: ['-s', '--socket'], value: 'path', choices: [] },
      { flags: ['-f', '--format'], value: 'format', choices: ['yaml', 'json'] },
      { flags: ['-h', '--help'], choices: [] },
    ]);
  });

  test('optionsOf() reads the options of riposte show', () => {
    const flags = optionsOf(help('show')).flatMap((o) => o.flags);
    assert.deepEqual(flags, [
      '-s',
      '--socket',
      '-f',
      '--format',
      '-l',
      '--limit',
      '--lines',
      '-h',
      '--help',
    ]);
  });
});

describe('commandsOf()', () => {
  test('commandsOf() lists the commands of riposte help with their arguments', () => {
    const listed = commandsOf(help());
    const names = listed.map((c) => c.name);
    for (const name of [
      'start',
      'show',
      'flush',
      'trigger',
      'status',
      'test-config',
      'test-regex',
    ]) {
      assert.ok(names.includes(name), `${name} in ${names.join(' ')}`);
    }
    assert.equal(names.at(-1), 'help');
    assert.deepEqual(listed.find((c) => c.name === 'trigger')?.arguments, [
      '<stream.filter>',
      '[values...]',
    ]);
  });
});

describe('bashCompletion()', {
  skip: spawnSync('bash', ['--version']).error === undefined ? false : 'bash is not installed',
}, () => {
  let dir = '';
  let script = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'riposte-completion-'));
    script = join(dir, 'riposte.bash');
    writeFileSync(script, bashCompletion(commands()));
    // A configuration for the STREAM.FILTER names, and a `riposte` command that reads it.
    writeFileSync(
      join(dir, 'riposte.yml'),
      "streams:\n  web:\n    cmd: ['true']\n    filters:\n      probes: { regex: ['x'], actions: { a: { cmd: ['true'] } } }\n",
    );
    writeFileSync(join(dir, 'riposte'), `#!/bin/sh\nexec ${process.execPath} ${MAIN} "$@"\n`, {
      mode: 0o755,
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash offers after the words of `line` (the last one being completed). */
  function complete(...words: string[]): string[] {
    const body = [
      `_riposte_config=${dir}/riposte.yml`,
      `source ${script}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_riposte',
      `printf '%s\\n' "\${COMPREPLY[@]}"`,
    ].join('\n');
    const env = { ...process.env, PATH: `${dir}:${dirname(process.execPath)}:/usr/bin:/bin` };
    const r = spawnSync('bash', ['-c', body], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  const rows: readonly [string[], string[]][] = [
    [
      ['riposte', 'te'],
      ['test-config', 'test-regex'],
    ],
    [
      ['riposte', 'start', '--'],
      ['--config', '--loglevel', '--socket', '--action-timeout', '--help'],
    ],
    [
      ['riposte', 'start', '-l', ''],
      ['DEBUG', 'INFO', 'WARN', 'ERROR'],
    ],
    [
      ['riposte', 'status', '-f', ''],
      ['yaml', 'json'],
    ],
    [['riposte', 'show', '--format', '=', 'j'], ['json']],
    [['riposte', 'help', 'fl'], ['flush']],
    [['riposte', 'trigger', ''], ['web.probes']],
    [['riposte', 'trigger', '-s', '/tmp/x.sock', 'w'], ['web.probes']],
    [['riposte', 'trigger', 'web.probes', ''], []],
    [['riposte', 'show', '-l', ''], ['web.probes']],
    [['riposte', 'replay', '-l', 'web'], ['web.probes']],
  ];
  for (const [words, expected] of rows) {
    test(`bashCompletion() completes "${words.join(' ')}" with ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(complete(...words), expected);
    });
  }

  test('bashCompletion() completes the value of -c with file names', () => {
    assert.deepEqual(complete('riposte', 'test-config', '-c', `${dir}/ripo`), [
      `${dir}/riposte`,
      `${dir}/riposte.bash`,
      `${dir}/riposte.yml`,
    ]);
  });

  test('bashCompletion() completes every file argument of replay with file names', () => {
    assert.deepEqual(complete('riposte', 'replay', `${dir}/a.log`, `${dir}/riposte.y`), [
      `${dir}/riposte.yml`,
    ]);
  });
});
