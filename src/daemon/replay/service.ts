// Which lines a library filter's service wrote, for `replay --missed`: the log sources its
// library file names (syslog identifiers, journald units) against a line's syslog tag or
// journal fields. Receives a filter; sends a test of a line's text, or undefined when the
// filter has no `use:` or its library file names neither identifiers nor units.

import type { Filter } from '../../concepts/filter.js';
import { resolveUse } from '../../concepts/library.js';

export interface ServiceLines {
  /** The library filter's name, `sshd`. */
  readonly use: string;
  /** Whether the service wrote `text`: true when the line does not say who wrote it. */
  readonly test: (text: string) => boolean;
}

// `<34>`, a syslog or RFC 3339 date, an optional host, then the tag: `sshd[123]: `, `postfix/smtpd: `.
const SYSLOG_TAG =
  /^(?:<\d{1,3}>)?(?:1 )?(?:[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\S+) (?:[^\s:[\]]+ )?([^\s:[\]]+)(?:\[\d+\])?: /;

export function serviceLines(filter: Filter): ServiceLines | undefined {
  const resolved = filter.use === undefined ? undefined : resolveUse(filter.use);
  if (resolved === undefined) return undefined;
  const identifiers = new Set(resolved.filter.sources.syslog);
  const units = new Set(resolved.filter.sources.journald);
  if (identifiers.size === 0 && units.size === 0) return undefined;
  return {
    use: resolved.filter.name,
    test: (text) =>
      text.startsWith('{') ? journalOf(text, identifiers, units) : syslogOf(text, identifiers),
  };
}

function syslogOf(text: string, identifiers: ReadonlySet<string>): boolean {
  const tag = SYSLOG_TAG.exec(text)?.[1];
  return tag === undefined || identifiers.size === 0 || identifiers.has(tag);
}

/** A `journalctl -o json` line: its `SYSLOG_IDENTIFIER`, or its unit (`_SYSTEMD_UNIT`, `UNIT`). */
function journalOf(
  text: string,
  identifiers: ReadonlySet<string>,
  units: ReadonlySet<string>,
): boolean {
  let entry: unknown;
  try {
    entry = JSON.parse(text);
  } catch {
    return true;
  }
  if (typeof entry !== 'object' || entry === null) return true;
  const fields = entry as Record<string, unknown>;
  const identifier = fields['SYSLOG_IDENTIFIER'];
  const unit = fields['_SYSTEMD_UNIT'] ?? fields['UNIT'];
  if (typeof identifier !== 'string' && typeof unit !== 'string') return true;
  return (
    (typeof identifier === 'string' && identifiers.has(identifier)) ||
    (typeof unit === 'string' && units.has(unit))
  );
}
