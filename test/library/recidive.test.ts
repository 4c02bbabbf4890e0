// Black-box test of the library's recidive filter: it reads riposte's own log, so it is
// tested on the trigger lines a real daemon writes, not on fail2ban's samples.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/concepts/config.js';
import type { Filter } from '../../src/concepts/filter.js';
import { sandbox } from '../daemon/harness.js';

/** The library's recidive filter, as `use: recidive` builds it. */
async function recidive(): Promise<Filter> {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-recidive-'));
  try {
    const filters = { recidive: { use: 'recidive', actions: { ban: { cmd: ['true'] } } } };
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ streams: { log: { cmd: ['true'], filters } } }),
    );
    const loaded = await loadConfig(join(dir, 'c.json'));
    assert.ok(loaded.ok);
    return loaded.config.streams[0]!.filters[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the recidive library filter counts each trigger line of the daemon's log, and not its own", async (t) => {
  const sb = sandbox(t);
  const input = sb.fifo();
  const ban = { ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') } };
  const daemon = await sb.started(
    sb.fifoConfig({
      sshd: { use: 'sshd', retry: 1, actions: ban },
      // A filter named recidive: its own triggers must not feed the recidive filter.
      recidive: { regex: ['^repeat <ip>$'], actions: ban },
    }),
  );
  input.write(
    'Mar  2 10:00:00 host sshd[900]: Failed password for root from 192.0.2.20 port 51000 ssh2',
  );
  input.write('Mar  2 10:00:01 host sshd[900]: Invalid user admin from 2001:db8::20 port 51001');
  input.write('repeat 192.0.2.21');
  await daemon.waitFile('actions.log', (lines) => lines.length === 3);
  await sb.mark(input, daemon);
  const filter = await recidive();
  const found = daemon.log.split('\n').flatMap((line) => filter.match(line) ?? []);
  assert.deepEqual(found, ['192.0.2.20', '2001:db8::20']);
});
