// `riposte status`: the state of each stream and the daemon's counters. Receives the socket
// path and format; sends the status to stdout.

import { toYaml } from '../concepts/yaml.js';
import { UsageError } from '../lib/errors.js';
import type { Status } from '../protocol.js';
import { request } from './request.js';

export async function status(socket: string, format: 'yaml' | 'json'): Promise<number> {
  const response = await request(socket, { v: 1, type: 'status' });
  if (!('status' in response)) throw new UsageError('unexpected answer from the daemon');
  const shown = { ...response.status, memory: withUnits(response.status.memory) };
  process.stdout.write(format === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : toYaml(shown));
  return 0;
}

/** `rss: 57.1 MB`: a number alone does not say what it counts. */
function withUnits(memory: Status['memory']): Record<string, string> {
  return Object.fromEntries(Object.entries(memory).map(([k, mb]) => [k, `${mb.toFixed(1)} MB`]));
}
