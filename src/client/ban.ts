// `riposte ban ADDRESS [-l STREAM.FILTER]` and `riposte unban ADDRESS`: ask the daemon to
// trigger a filter for an address, or to flush every match that holds it. Receives the
// address (the daemon checks it) and the options; sends one line per thing done to stdout,
// or, for unban with -f, its report in flush's form (docs/show-format.md).

import { UsageError } from '../lib/errors.js';
import type { Banned, FilterReport } from '../protocol.js';
import { request } from './request.js';
import { isoTime, parseLimit, printReport } from './show.js';

export async function ban(o: { socket: string; address: string; limit?: string }): Promise<number> {
  const limit = parseLimit(o.limit);
  const response = await request(o.socket, {
    v: 1,
    type: 'ban',
    address: o.address,
    ...(limit === undefined ? {} : { limit }),
  });
  if (!('banned' in response)) throw new UsageError('unexpected answer from the daemon');
  process.stdout.write(`${bannedLine(o.address, response.banned)}\n`);
  return 0;
}

export async function unban(o: {
  socket: string;
  address: string;
  format?: 'yaml' | 'json';
}): Promise<number> {
  const response = await request(o.socket, { v: 1, type: 'unban', address: o.address });
  if (!('report' in response)) throw new UsageError('unexpected answer from the daemon');
  if (o.format !== undefined) printReport(response.report, o.format);
  else process.stdout.write(unbannedLines(o.address, response.report));
  return 0;
}

/** `banned 192.0.2.0/24 in ssh.failedlogin (the network of 192.0.2.7)`, or why nothing changed. */
export function bannedLine(address: string, b: Banned): string {
  // A masked pattern bans the network of the address; the match is otherwise the address.
  const masked = b.match.includes('/') && !address.includes('/');
  const what = masked ? `${b.match} (the network of ${address})` : b.match;
  const where = `${b.stream}.${b.filter}`;
  switch (b.outcome) {
    case 'triggered':
      return `banned ${what} in ${where}`;
    case 'extended':
      return `${what} was banned in ${where} already: its pending actions were moved later (duplicates: extend)`;
    case 'ignored':
      return `${what} is banned in ${where} already: nothing changed (duplicates: ignore)`;
    case 'held':
      return `${what} is banned in ${where} already, with no end: nothing changed`;
  }
}

/** One line per match flushed: what ran, what was lifted, what was forgotten. */
export function unbannedLines(address: string, reports: readonly FilterReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const where = `${r.stream}.${r.filter}`;
    const name = (m: string) => {
      if (m.includes('/') && !address.includes('/')) return `${m} (it holds ${address})`;
      if (address.includes('/') && m !== address) return `${m} (in ${address})`;
      return m;
    };
    const ran = new Map<string, string[]>();
    for (const [action, column] of Object.entries(r.actions)) {
      column.match.forEach((m, i) => {
        const list = ran.get(m) ?? [];
        list.push(`${action} (due ${isoTime(column.value[i]!)})`);
        ran.set(m, list);
      });
    }
    for (const [m, actions] of ran)
      lines.push(`unbanned ${name(m)} in ${where}: ran ${actions.join(', ')}`);
    for (const m of r.permanent)
      lines.push(`unbanned ${name(m)} in ${where}: lifted its ban with no end`);
    r.counts.match.forEach((m, i) => {
      lines.push(`forgot ${r.counts.value[i]} recent match(es) of ${name(m)} in ${where}`);
    });
  }
  if (lines.length === 0)
    return `nothing to unban: no ban, pending action or count holds ${address}\n`;
  return `${lines.join('\n')}\n`;
}
