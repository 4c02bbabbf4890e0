// Whether a file at a path can be replaced by someone not trusted, as OpenSSH's safe_path
// asks: the file's directory must belong to a trusted user and be writable by no one else,
// and each directory above it must belong to a trusted user and be writable by no one else
// unless it is sticky (in /tmp, others may add names but not take ours). Receives a path and
// the trusted uids; sends the path with its directories resolved (use that one: a symbolic
// link could be changed after the check), or why the path is unsafe ("its directory /tmp is
// writable by other users (mode 1777)"). ACLs are not read.

import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type Safety =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string };

/** The check of the path's directory and every directory above it; a missing directory is left to whoever opens the path. */
export function checkPath(path: string, trusted: readonly number[]): Safety {
  let directory: string;
  try {
    directory = realpathSync(dirname(path));
  } catch {
    return { ok: true, path };
  }
  const own = unsafe(directory, trusted, 'own');
  if (own !== undefined) return { ok: false, reason: own };
  const above = checkAbove(directory, trusted);
  return above === undefined
    ? { ok: true, path: join(directory, basename(path)) }
    : { ok: false, reason: above };
}

/**
 * The check of the directories above `directory` (which need not exist yet: the first that
 * exists and those above it), before it is created.
 */
export function checkAbove(directory: string, trusted: readonly number[]): string | undefined {
  let parent = dirname(directory);
  for (let child = directory; parent !== child; child = parent, parent = dirname(parent)) {
    let real: string;
    try {
      real = realpathSync(parent);
    } catch {
      continue;
    }
    const reason = unsafe(real, trusted, 'above');
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function unsafe(
  directory: string,
  trusted: readonly number[],
  where: 'own' | 'above',
): string | undefined {
  let info: Stats;
  try {
    info = lstatSync(directory);
  } catch (error) {
    return `${name(directory, where)} cannot be read (${(error as NodeJS.ErrnoException).code})`;
  }
  if (!info.isDirectory()) return `${name(directory, where)} is not a directory`;
  if (!trusted.includes(info.uid))
    return `${name(directory, where)} belongs to another user (uid ${info.uid})`;
  const othersWrite = (info.mode & 0o022) !== 0;
  const sticky = (info.mode & 0o1000) !== 0;
  if (othersWrite && (where === 'own' || !sticky)) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    return `${name(directory, where)} is writable by other users (mode ${mode})`;
  }
  return undefined;
}

function name(directory: string, where: 'own' | 'above'): string {
  return where === 'own' ? `its directory ${directory}` : `${directory}, above its directory,`;
}
