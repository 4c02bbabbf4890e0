// Whether the tools a black-box test needs are installed: the reason to skip it where one is
// missing; under CI=true, where .ci/run installs every tool, a missing one throws instead, so
// that the test file fails rather than skip unseen.

import { which } from './e2e/net.js';

/** False when every tool is on the PATH (sbin included); else why the test is skipped. */
export function missing(tools: readonly string[], hint = ''): string | false {
  const absent = tools.filter((tool) => which(tool) === undefined);
  if (absent.length === 0) return false;
  const why = `not installed: ${absent.join(', ')}${hint === '' ? '' : ` (${hint})`}`;
  if (process.env['CI'] === 'true') throw new Error(`${why}: .ci/run must install it`);
  return why;
}
