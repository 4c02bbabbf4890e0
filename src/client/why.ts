// `riposte why ADDRESS`: what the daemon knows of an address — the triggers whose match holds
// it, in effect or ended within the history window, with the log lines that counted toward
// each; the matches counting toward one; the ignore rules that keep it from counting.
// Receives the address and the format; sends the answer to stdout (docs/show-format.md).

import { UsageError } from '../lib/errors.js';
import { plainYaml } from '../lib/plain-yaml.js';
import type { Why } from '../protocol.js';
import { request } from './request.js';
import { isoTime } from './show.js';

export async function why(o: {
  socket: string;
  address: string;
  format: 'yaml' | 'json';
}): Promise<number> {
  const response = await request(o.socket, { v: 1, type: 'why', address: o.address });
  if (!('why' in response)) throw new UsageError('unexpected answer from the daemon');
  const printed = printable(response.why);
  process.stdout.write(
    o.format === 'json' ? `${JSON.stringify(printed, null, 2)}\n` : plainYaml(printed),
  );
  return 0;
}

/** The answer with its times in ISO 8601 local time, in the order the document gives. */
export function printable(w: Why): Record<string, unknown> {
  return {
    address: w.address,
    since: isoTime(w.since),
    triggers: w.triggers.map((t) => ({
      filter: t.filter,
      match: t.match,
      triggered: isoTime(t.time),
      ...(t.pending === undefined
        ? {}
        : {
            pending: Object.fromEntries(
              Object.entries(t.pending).map(([name, due]) => [name, isoTime(due)]),
            ),
          }),
      ...(t.permanent === true ? { permanent: true } : {}),
      ...(t.ended === undefined ? {} : { ended: isoTime(t.ended), how: t.how }),
      lines: t.lines,
    })),
    counts: w.counts,
    ignored: w.ignored,
  };
}
