// End-to-end: a value crafted to inject statements into the `nft -f -` script of the
// built-in nftables type changes nothing in the kernel's ruleset. riposte runs in a network
// namespace of its own, with real nft; the value comes through `riposte trigger`.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEADLINE, Daemon, MAIN, Sandbox, sleep } from '../daemon/harness.js';
import { run, which } from './net.js';

const skip =
  process.getuid?.() !== 0
    ? 'needs root (a network namespace and nftables rules)'
    : ['ip', 'nft'].find((tool) => which(tool) === undefined) !== undefined
      ? 'not installed: ip or nft'
      : false;

/** A set of an `ip` pattern holds both families: its IPv4 part is `bansv4`. */
const INJECTED = '192.0.2.50 } ; add table ip pwned ; add element inet riposte bansv4 { 192.0.2.51';

test('a value crafted for the nft script of the built-in nftables type changes nothing in the ruleset', {
  skip,
}, async (t) => {
  const sb = new Sandbox();
  const ns = `rip-i-${randomBytes(3).toString('hex')}`;
  t.after(() => {
    sb.cleanup();
    spawnSync('ip', ['netns', 'del', ns]);
  });
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  const inNs = (argv: readonly string[]) => run([which('ip')!, 'netns', 'exec', ns, ...argv]);
  const config = sb.path('riposte.json');
  writeFileSync(
    config,
    JSON.stringify({
      state_directory: sb.path('state'),
      patterns: { ip: { type: 'ip' } },
      streams: {
        s: {
          cmd: ['tail', '-f', '/dev/null'],
          filters: {
            f: {
              regex: ['fail from <ip>'],
              actions: { ban: { type: 'nftables', options: { set: 'bans' } } },
            },
          },
        },
      },
    }),
  );
  const child = spawn(
    which('ip')!,
    ['netns', 'exec', ns, process.execPath, MAIN, 'start', '-c', config, '-s', sb.socket],
    {
      cwd: sb.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RIPOSTE_TEST_SANDBOX: sb.dir },
    },
  );
  const daemon = new Daemon(sb, child.pid!, child);
  await daemon.waitLog(/INFO {2}riposte \S+ started: /);
  const before = (await inNs(['nft', 'list', 'ruleset'])).stdout;
  assert.match(before, /set bansv4 \{/);

  const refused = await sb.cli('trigger', 's.f', `ip=${INJECTED}`);
  // A valid address afterwards: once it is in the set, whatever came before was applied.
  assert.equal((await sb.cli('trigger', 's.f', 'ip=192.0.2.9')).code, 0);
  for (const end = Date.now() + DEADLINE; ; await sleep(50)) {
    const set = await inNs(['nft', 'list', 'set', 'inet', 'riposte', 'bansv4']);
    if (set.stdout.includes('192.0.2.9')) break;
    assert.ok(Date.now() < end, `192.0.2.9 is not in the set:\n${set.stdout}\n${daemon.log}`);
  }

  const after = (await inNs(['nft', 'list', 'ruleset'])).stdout;
  assert.doesNotMatch(after, /pwned|192\.0\.2\.5[01]/);
  assert.equal(after.replace(/\s*elements = \{ 192\.0\.2\.9 \}/, ''), before);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /is not a valid value of pattern "ip" \(type ip\)/);
  assert.deepEqual(daemon.logLines(/ ERROR /), []);
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
});
