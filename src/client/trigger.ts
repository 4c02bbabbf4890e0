// `riposte trigger STREAM.FILTER NAME=VALUE…`: asks the daemon to trigger a filter for a
// match now, without counting. Receives the filter and values; sends the daemon's
// confirmation to stdout. The daemon checks each value against its pattern.

import { UsageError } from '../lib/errors.js';
import { request } from './request.js';
import { parseSelector } from './show.js';

export async function trigger(
  socket: string,
  target: string,
  pairs: readonly string[],
): Promise<number> {
  const [stream = '', filter = '', extra] = target.split('.');
  if (stream === '' || filter === '' || extra !== undefined)
    throw new UsageError(
      `${JSON.stringify(target)}: expected STREAM.FILTER, such as ssh.failedlogin`,
    );
  const values: Record<string, string> = Object.create(null);
  for (const [name, value] of pairs.map((p) => parseSelector(p, 'NAME=VALUE'))) {
    if (name in values) throw new UsageError(`${name} is given twice`);
    values[name] = value;
  }
  const response = await request(socket, {
    v: 1,
    type: 'trigger',
    stream,
    filter,
    values,
  });
  if (!('triggered' in response)) throw new UsageError('unexpected answer from the daemon');
  process.stdout.write(`triggered ${response.triggered}\n`);
  return 0;
}
