// fail2ban itself, when it is installed (Debian's package; .ci/run installs it): its
// jails, from its own jail.conf and filter.d, run over a log by fail2ban-jail.py with the
// clock at each line's time. Receives the jails and the log's lines; sends each jail's
// thresholds as fail2ban read them, the failures it found and its bans, or why fail2ban cannot be run here.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from '../../src/lib/which.js';
import { ROOT } from '../daemon/harness.js';
import type { Ban, Thresholds } from './jail.js';
import type { JailLine } from './jail-log.js';

const DRIVER = join(ROOT, 'test/library/fail2ban-jail.py');

export interface Fail2banJail {
  /** A jail of jail.conf (`sshd`), or a new one named here with its `filter`. */
  readonly name: string;
  readonly filter?: string;
  readonly thresholds?: Thresholds;
}

export interface Fail2banRun {
  /** fail2ban's version, `1.0.2`. */
  readonly version: string;
  readonly settings: Readonly<Record<string, Thresholds>>;
  /** Each failure the jails' filters found, with the time fail2ban gave it and its line. */
  readonly failures: readonly (JailEvent & { readonly line: number })[];
  readonly bans: readonly JailEvent[];
}

export type JailEvent = Ban & { readonly jail: string };

interface Event {
  readonly jail: string;
  readonly ip: string;
  readonly time: number;
  /** For a failure: the index of the line it was found in. */
  readonly line: number;
}

/** The Python that fail2ban-server runs with, or why fail2ban cannot be run. */
export function fail2banPython(): { python: string } | { missing: string } {
  const server = which('fail2ban-server');
  if (server === undefined || !existsSync('/etc/fail2ban/jail.conf'))
    return { missing: 'fail2ban is not installed (Debian package fail2ban)' };
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(server, 'utf8'))?.[1];
  return shebang === undefined
    ? { missing: `cannot read the interpreter of ${server}` }
    : { python: shebang };
}

/** The bans of fail2ban's `jails` over `lines`, with its clock at each line's time. */
export function runFail2ban(
  python: string,
  jails: readonly Fail2banJail[],
  lines: readonly JailLine[],
  zone: string,
): Fail2banRun {
  const request = {
    jails: jails.map(({ name, filter, thresholds }) => ({
      name,
      ...(filter === undefined ? {} : { filter }),
      ...thresholds,
    })),
    lines: lines.map(({ text, time }) => ({ text, time })),
  };
  const run = spawnSync(python, [DRIVER], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    env: { ...process.env, TZ: zone },
    // A bound, not a measure: a few seconds of CPU, on a machine that may be busy.
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`${DRIVER} failed (${run.status}): ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as {
    version: string;
    settings: Record<string, Thresholds>;
    failures: Event[];
    bans: Event[];
  };
  return {
    version: parsed.version,
    settings: parsed.settings,
    failures: parsed.failures.map(({ jail, ip, time, line }) => ({ jail, host: ip, time, line })),
    bans: parsed.bans.map(({ jail, ip, time }) => ({ jail, host: ip, time })),
  };
}
