// Runs the tools the package build relies on (dpkg-deb, strip, npm…) to their end. Receives
// argv lists; sends their output, or an error naming the command and what it said.

import { spawnSync } from 'node:child_process';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
}

/** The command's stdout; throws when it cannot start or exits with another status than 0. */
export function must(argv: readonly string[], options: RunOptions = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  if (r.error !== undefined) throw new Error(`cannot run ${argv[0]}: ${r.error.message}`);
  if (r.status !== 0) {
    const said = (r.stderr || r.stdout).trim().split('\n').slice(-20).join('\n');
    throw new Error(
      `${argv.join(' ')} failed (${r.signal ?? `exit status ${r.status}`}):\n${said}`,
    );
  }
  return r.stdout;
}
