// Black-box tests of hostile configuration inputs, through `test-config -c` and `start -c`
// alike: fifos and devices, nesting that overflows a parser, Jsonnet that crashes, loops or
// eats memory, prototype keys, directories of too many files. Each must end in bounded time
// with a located error, and riposte must not echo a file read as data.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { alive, MAIN, type Sandbox, sandbox, until } from './harness.js';

/** Longer than any row takes, so that an input that hangs fails its row instead of the run. */
const LIMIT = 30_000;

interface Run {
  readonly code: number | string | null;
  readonly stderr: string;
}

function riposte(sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      {
        cwd: sb.dir,
        timeout: LIMIT,
        killSignal: 'SIGKILL',
        env: { ...process.env, RIPOSTE_TEST_SANDBOX: sb.dir, ...env },
      },
      (error, _stdout, stderr) => done({ code: error === null ? 0 : (error.code ?? null), stderr }),
    );
  });
}

const STREAM =
  '{"s":{"cmd":["true"],"filters":{"f":{"regex":["x"],"actions":{"a":{"cmd":["true"]}}}}}}';

function fifo(sb: Sandbox, name: string): void {
  assert.equal(spawnSync('mkfifo', [sb.path(name)]).status, 0);
}

interface Row {
  readonly name: string;
  /** Writes the inputs into the sandbox; returns the -c path (relative to it). */
  readonly setup: (sb: Sandbox) => string | Promise<string>;
  readonly errors: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);

const ROWS: readonly Row[] = [
  {
    name: 'a fifo given to -c',
    setup: (sb) => {
      fifo(sb, 'c.yml');
      return 'c.yml';
    },
    errors: ['c.yml: cannot read configuration: a fifo, not a regular file or a directory'],
  },
  {
    name: 'a character device given to -c',
    setup: () => '/dev/null',
    errors: [
      '/dev/null: cannot read configuration: a character device, not a regular file or a directory',
    ],
  },
  {
    name: 'a fifo in the configuration directory',
    setup: (sb) => {
      mkdirSync(sb.path('d'));
      writeFileSync(sb.path('d/a.json'), `{"streams":${STREAM}}`);
      fifo(sb, 'd/b.yml');
      return 'd';
    },
    errors: ['d/b.yml: cannot read configuration: a fifo, not a regular file'],
  },
  {
    name: 'a socket in the configuration directory',
    setup: (sb) => {
      mkdirSync(sb.path('d'));
      writeFileSync(sb.path('d/a.json'), `{"streams":${STREAM}}`);
      // Bound and left behind, as by a process that was killed.
      const bind = `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(sb.path('d/b.json'))})`;
      assert.equal(spawnSync('python3', ['-c', bind]).status, 0);
      return 'd';
    },
    errors: ['d/b.json: cannot read configuration: a socket, not a regular file'],
  },
  {
    name: 'a Jsonnet importstr of a fifo',
    setup: (sb) => {
      fifo(sb, 'in.fifo');
      writeFileSync(sb.path('c.jsonnet'), "local x = importstr 'in.fifo';\n{ streams: x }\n");
      return 'c.jsonnet';
    },
    errors: [
      'c.jsonnet:1:11: cannot evaluate Jsonnet: importstr "in.fifo": a fifo, not a regular file',
    ],
  },
  {
    name: 'a Jsonnet import of a fifo, from an imported library',
    setup: (sb) => {
      fifo(sb, 'lib.libsonnet');
      writeFileSync(sb.path('_a.libsonnet'), "{\n  b: import 'lib.libsonnet',\n}\n");
      writeFileSync(sb.path('c.jsonnet'), "(import '_a.libsonnet').b\n");
      return 'c.jsonnet';
    },
    errors: [
      '_a.libsonnet:2:6: cannot evaluate Jsonnet: import "lib.libsonnet": a fifo, not a regular file',
    ],
  },
  {
    name: 'an unknown Jsonnet variable, with a fifo named like a library beside it',
    setup: (sb) => {
      // The hint looks for the name in the Jsonnet files beside: it must not wait on this one.
      fifo(sb, 'lib.libsonnet');
      writeFileSync(sb.path('c.jsonnet'), '{ streams: banFor }\n');
      return 'c.jsonnet';
    },
    errors: [
      'c.jsonnet:1:12: cannot evaluate Jsonnet: Unknown variable: banFor: "banFor" is not defined in c.jsonnet nor in the files beside it; put the shared definitions in a library such as _lib.libsonnet and write `local lib = import \'_lib.libsonnet\';` in each file that uses them, then call lib.banFor',
    ],
  },
  {
    name: 'Jsonnet nested 7,000 deep, which crashes libjsonnet',
    setup: (sb) => {
      writeFileSync(sb.path('c.jsonnet'), deep('[', ']', 7000));
      return 'c.jsonnet';
    },
    errors: [
      'c.jsonnet: cannot evaluate Jsonnet: the evaluator crashed (signal SIGSEGV): nesting too deep?',
    ],
  },
  {
    name: 'Jsonnet that doubles a string until memory runs out',
    setup: (sb) => {
      const doubling =
        "local f(s, n) = if n == 0 then s else f(s + s, n - 1);\n{ streams: f('x', 40) }\n";
      writeFileSync(sb.path('c.jsonnet'), doubling);
      return 'c.jsonnet';
    },
    env: { RIPOSTE_JSONNET_MEMORY: '128' },
    errors: [
      'c.jsonnet: cannot evaluate Jsonnet: the evaluator used more than 128 MiB of memory and was killed',
    ],
  },
  {
    name: 'Jsonnet that computes for ever in little memory',
    setup: (sb) => {
      const forever =
        'local f(n) = if n == 0 then 0 else f(n - 1) + f(n - 1);\n{ streams: f(60) }\n';
      writeFileSync(sb.path('c.jsonnet'), forever);
      return 'c.jsonnet';
    },
    env: { RIPOSTE_JSONNET_TIMEOUT: '1s' },
    errors: ['c.jsonnet: cannot evaluate Jsonnet: the evaluator was killed after 1s'],
  },
  {
    name: 'Jsonnet whose result is nested 100 deep',
    setup: (sb) => {
      writeFileSync(sb.path('c.jsonnet'), `{ start: ${deep('[', ']', 100)} }`);
      return 'c.jsonnet';
    },
    errors: [
      `c.jsonnet: start${'[0]'.repeat(63)}: cannot evaluate Jsonnet: more than 64 levels of nesting, which no configuration needs`,
    ],
  },
  {
    name: 'YAML nested 100,000 deep in flow collections',
    setup: (sb) => {
      writeFileSync(sb.path('c.yml'), `start: ${deep('[', ']', 100_000)}\n`);
      return 'c.yml';
    },
    // The top-level map is the first level: the 64th bracket opens the 65th.
    errors: [
      'c.yml:1:71: cannot parse YAML: more than 64 levels of nesting, which no configuration needs',
    ],
  },
  {
    name: 'YAML nested 100,000 deep in block sequences',
    setup: (sb) => {
      writeFileSync(sb.path('c.yml'), `start:\n${'- '.repeat(100_000)}x\n`);
      return 'c.yml';
    },
    errors: [
      'c.yml:2:127: cannot parse YAML: more than 64 levels of nesting, which no configuration needs',
    ],
  },
  {
    name: 'a chain of 5,000 YAML aliases, each nesting the one before',
    setup: (sb) => {
      const lines = ['definitions:', '  a0: &a0 [x]'];
      for (let i = 1; i < 5000; i++) lines.push(`  a${i}: &a${i} [*a${i - 1}]`);
      writeFileSync(sb.path('c.yml'), `${lines.join('\n')}\nstart: [*a4999]\n`);
      return 'c.yml';
    },
    errors: [
      'c.yml:66:13: cannot parse YAML: more than 64 levels of nesting, which no configuration needs',
    ],
  },
  {
    name: 'YAML aliases that double 40 times',
    setup: (sb) => {
      const lines = ['definitions:', '  a0: &a0 [x]'];
      for (let i = 1; i <= 40; i++) lines.push(`  a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
      writeFileSync(sb.path('c.yml'), `${lines.join('\n')}\n`);
      return 'c.yml';
    },
    errors: [
      'c.yml:21:13: cannot parse YAML: more than 1000000 values, which no configuration needs (aliases expanded)',
    ],
  },
  {
    name: 'a YAML alias inside the node it names',
    setup: (sb) => {
      writeFileSync(sb.path('c.yml'), 'start: &a [*a]\n');
      return 'c.yml';
    },
    errors: ['c.yml:1:11: cannot parse YAML: an alias refers to a node that holds it'],
  },
  {
    name: 'JSON nested 100,000 deep',
    setup: (sb) => {
      writeFileSync(sb.path('c.json'), `{"start": ${deep('[', ']', 100_000)}}`);
      return 'c.json';
    },
    errors: [
      'c.json:1:74: cannot parse JSON: more than 64 levels of nesting, which no configuration needs',
    ],
  },
  {
    name: 'a top-level "__proto__" key in JSON',
    setup: (sb) => {
      writeFileSync(sb.path('c.json'), `{"__proto__": {"streams": ${STREAM}}}`);
      return 'c.json';
    },
    errors: [
      'c.json:1:2: __proto__: unknown key',
      'c.json: missing key "streams": a configuration needs at least one stream',
    ],
  },
  {
    name: 'a top-level "__proto__" key in YAML, beside real streams',
    setup: (sb) => {
      writeFileSync(sb.path('c.yml'), `streams: ${STREAM}\n__proto__: {concurrency: 1}\n`);
      return 'c.yml';
    },
    errors: ['c.yml:2:1: __proto__: unknown key'],
  },
  {
    name: 'a top-level "__proto__" key in Jsonnet',
    setup: (sb) => {
      writeFileSync(
        sb.path('c.jsonnet'),
        `{ streams: ${STREAM}, ['__proto__']: { concurrency: 1 } }`,
      );
      return 'c.jsonnet';
    },
    errors: ['c.jsonnet: __proto__: unknown key'],
  },
  {
    name: 'streams and plugins named after JavaScript prototype properties',
    setup: (sb) => {
      const s = JSON.parse(STREAM).s;
      const config = { streams: { constructor: s, prototype: s }, plugins: { toString: {} } };
      writeFileSync(sb.path('c.json'), JSON.stringify(config));
      return 'c.json';
    },
    errors: [
      'c.json:1:226: plugins.toString: missing key "path"',
      `c.json:1:215: plugins.toString: riposte cannot run reaction's plugin "toString": it has the types of reaction's nftables, ipset and virtual plugins built in, and no equivalent of this one; remove the plugin and the streams and actions of its types`,
      'c.json:1:13: streams.constructor: "constructor" cannot be a name: JavaScript reserves it',
      'c.json:1:109: streams.prototype: "prototype" cannot be a name: JavaScript reserves it',
    ],
  },
  {
    name: 'a directory of 1,001 configuration files',
    setup: (sb) => {
      mkdirSync(sb.path('d'));
      for (let i = 0; i <= 1000; i++) writeFileSync(sb.path(`d/${i}.yml`), `concurrency: 1\n`);
      return 'd';
    },
    errors: [
      'd: cannot read configuration: 1001 configuration files in this directory, more than the 1000 riposte reads; is it the right directory?',
    ],
  },
];

for (const row of ROWS) {
  test(`test-config and start refuse ${row.name}, with a located error`, async (t) => {
    const sb = sandbox(t);
    const path = await row.setup(sb);
    const checked = await riposte(sb, ['test-config', '-c', path], row.env);
    const n = row.errors.length;
    const expected = `${row.errors.map((e) => `error: ${e}\n`).join('')}${n} error${n === 1 ? '' : 's'} in the configuration ${path}\n`;
    assert.deepEqual(checked, { code: 1, stderr: expected });
    const started = await riposte(sb, ['start', '-c', path, '-s', sb.socket], row.env);
    assert.equal(started.code, 1, started.stderr);
    for (const error of row.errors)
      assert.ok(started.stderr.includes(`ERROR config: ${error}\n`), started.stderr);
  });
}

/** A file no message may quote, as /etc/shadow: each fragment is distinctive. */
const SECRET = 'root:$y$j9T$AbCdEfGhIjKlMn:19700:0:99999:7:::\nalice:$y$j9T$OpQrStUvWxYz:19700\n';
const FRAGMENTS = ['j9T', 'AbCdEf', 'OpQrSt', '19700', 'alice', '99999'];

test('test-config and start never quote a file read with importstr, wherever its text goes', async (t) => {
  const sb = sandbox(t);
  writeFileSync(sb.path('shadow'), SECRET);
  const uses: Record<string, string> = {
    'as the streams': "{ streams: importstr 'shadow' }",
    'as a key': `{ streams: ${STREAM}, [std.split(importstr 'shadow', ':')[0]]: 1 }`,
    'as a stream name': "{ streams: { [std.split(importstr 'shadow', '\\n')[1]]: 1 } }",
    'as a regex': `{ streams: ${STREAM}, patterns: { p: { regex: std.split(importstr 'shadow', ':')[1] + '(' } } }`,
    'as a duration': `{ streams: ${STREAM}, state_rotation_interval: std.split(importstr 'shadow', '\\n')[1] }`,
    'as a virtual target': `{ streams: { s: { cmd: ['true'], filters: { f: { regex: ['x'], actions: { a: { type: 'virtual', options: { send: 'x', to: importstr 'shadow' } } } } } } } }`,
    'in an error': "error importstr 'shadow'",
    'imported as Jsonnet': "import 'shadow'",
    'parsed as JSON': "std.parseJson(importstr 'shadow')",
  };
  for (const [use, source] of Object.entries(uses)) {
    writeFileSync(sb.path('c.jsonnet'), source);
    for (const args of [
      ['test-config', '-c', 'c.jsonnet'],
      ['start', '-c', 'c.jsonnet', '-s', sb.socket],
    ]) {
      const run = await riposte(sb, args);
      assert.equal(run.code, 1, `${use}: ${run.stderr}`);
      assert.match(run.stderr, /c\.jsonnet|shadow/, use);
      for (const fragment of FRAGMENTS)
        assert.ok(!run.stderr.includes(fragment), `${use}, ${args[0]}: ${run.stderr}`);
    }
  }
});

test('a Jsonnet evaluator ends with the riposte that started it, killed', async (t) => {
  const sb = sandbox(t);
  writeFileSync(
    sb.path('c.jsonnet'),
    'local f(n) = if n == 0 then 0 else f(n - 1) + f(n - 1);\nf(60)\n',
  );
  const cli = spawn(process.execPath, [MAIN, 'test-config', '-c', 'c.jsonnet'], {
    cwd: sb.dir,
    env: { ...process.env, RIPOSTE_TEST_SANDBOX: sb.dir },
  });
  const evaluator = await until('the evaluator to start', undefined, () => childOf(cli.pid!));
  // Killed while it evaluates: a second of CPU is well past its start.
  await until('the evaluator to evaluate', undefined, () =>
    cpuTicks(evaluator) >= 100 ? true : undefined,
  );
  cli.kill('SIGKILL');
  const killed = Date.now();
  await until('the evaluator to end', undefined, () => (alive(evaluator) ? undefined : true));
  // It looks five times a second; its own time limit is 10 s.
  assert.ok(Date.now() - killed < 5000, `${Date.now() - killed} ms`);
});

/** User and system time of a process, in clock ticks (hundredths of a second), from /proc. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A child process of `pid`, from /proc. */
function childOf(pid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}
