// `riposte status`: the state of each stream and the daemon's counters. Receives the socket
// path and format; sends the status to stdout.

import { toYaml } from '../concepts/yaml.js';
import { UsageError } from '../lib/errors.js';
import { request } from './request.js';

export async function status(socket: string, format: 'yaml' | 'json'): Promise<number> {
  const response = await request(socket, { v: 1, type: 'status' });
  if (!('status' in response)) throw new UsageError('unexpected answer from the daemon');
  process.stdout.write(
    format === 'json' ? `${JSON.stringify(response.status, null, 2)}\n` : toYaml(response.status),
  );
  return 0;
}
