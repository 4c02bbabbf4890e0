// `riposte reload`: asks the running daemon to read its configuration again and apply it
// without a restart. Receives the socket path; sends what changed to stdout, and the
// warnings and every error to stderr; exit status 1 when the configuration was not applied,
// or a stream of it could not be started.

import { UsageError } from '../lib/errors.js';
import { request } from './request.js';

export async function reload(socket: string): Promise<number> {
  const response = await request(socket, { v: 1, type: 'reload' });
  if (!('reload' in response)) throw new UsageError('unexpected answer from the daemon');
  const r = response.reload;
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  for (const e of r.errors) process.stderr.write(`error: ${e}\n`);
  if (!r.applied) {
    process.stderr.write(
      `riposte: not reloaded: ${r.errors.length} error(s) in ${r.config}; the daemon goes on with the configuration it had\n`,
    );
    return 1;
  }
  const changes = r.changes.length === 0 ? ['nothing changed'] : r.changes;
  process.stdout.write(`reloaded ${r.config}:\n${changes.map((c) => `  ${c}\n`).join('')}`);
  if (r.errors.length === 0) return 0;
  process.stderr.write(`riposte: reloaded, but ${r.errors.length} stream(s) could not start\n`);
  return 1;
}
