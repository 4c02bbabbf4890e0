// `riposte trigger STREAM.FILTER NAME=VALUE…`: asks the daemon to trigger a filter for a
// match now, without counting. Receives the filter and values; sends the daemon's
// confirmation to stdout.

import { UsageError } from '../lib/errors.js';
import { request } from './request.js';
import { parseLimit, parseSelector } from './show.js';

export async function trigger(
  socket: string,
  target: string,
  pairs: readonly string[],
): Promise<number> {
  const limit = parseLimit(target);
  if (limit?.filter === undefined) throw new UsageError(`${target}: expected STREAM.FILTER`);
  const values: Record<string, string> = {};
  for (const [name, value] of pairs.map(parseSelector)) {
    if (name in values) throw new UsageError(`${name} is given twice`);
    values[name] = value;
  }
  const response = await request(socket, {
    v: 1,
    type: 'trigger',
    stream: limit.stream,
    filter: limit.filter,
    values,
  });
  if (!('triggered' in response)) throw new UsageError('unexpected answer from the daemon');
  process.stdout.write(`triggered ${response.triggered}\n`);
  return 0;
}
