// Where a Node process spends its time, for the rows whose target is not met: runs it once
// more under --cpu-prof and sums the samples' self time by function. Receives a command
// (`node SCRIPT ARGS…`); sends a short text: the largest shares, the regexes as one.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunOptions, remove, scratch, timed } from './measure.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A function's name as the table shows it: `eachCandidate (concepts/scan.js:7)`. */
function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (functionName.startsWith('RegExp: ')) return 'the regexes (V8)';
  const file = url.split('/').slice(-2).join('/');
  const name = functionName === '' ? '(anonymous)' : functionName;
  return file === '' ? name : `${name} (${file}:${lineNumber + 1})`;
}

/** Self time per function name, in µs. */
function selfTimes(profile: Profile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, nameOf(n)]));
  const times = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const name = byId.get(id) ?? '?';
    times.set(name, (times.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return times;
}

/** The `top` largest shares of self time of one run of argv (node first). */
export async function profiled(
  argv: readonly string[],
  options: RunOptions = {},
  top = 6,
): Promise<string> {
  const dir = scratch('profile');
  try {
    const [node, ...rest] = argv;
    await timed([node!, '--cpu-prof', `--cpu-prof-dir=${dir}`, ...rest], options);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) return 'no profile written';
    const times = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile);
    const total = [...times.values()].reduce((a, b) => a + b, 0);
    return [...times]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${name} ${((100 * us) / total).toFixed(0)} %`)
      .join(', ');
  } finally {
    remove(dir);
  }
}
