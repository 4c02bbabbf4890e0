// What the black-box tests of file and journal streams share: a configuration of one stream
// (`auth` or `ssh`, as the test reads it) with a filter that bans after 3 failures within an
// hour and unbans 2 hours later, and the marker filter; and the streams' part of `status`.

import assert from 'node:assert/strict';
import { type Config, PATTERNS, type Sandbox } from '../daemon/harness.js';

/** One stream named `name` reading what `source` says (type and options), with its filters. */
export function banConfig(sb: Sandbox, name: string, source: Config): Config {
  return {
    concurrency: 1,
    patterns: PATTERNS,
    streams: {
      [name]: {
        ...source,
        filters: {
          fail: {
            regex: ['fail from <ip>$'],
            retry: 3,
            retryperiod: '1h',
            actions: {
              ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
              unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '2h' },
            },
          },
          marker: sb.markerFilter(),
        },
      },
    },
  };
}

/** `riposte status -f json`'s streams. */
export async function streamStatus(sb: Sandbox): Promise<Record<string, Record<string, unknown>>> {
  const r = await sb.cli('status', '-f', 'json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { streams: Record<string, Record<string, unknown>> }).streams;
}
