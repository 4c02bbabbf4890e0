// What a fail2ban jail bans, computed from its rules (fail2ban 1.0's failmanager, ticket and
// banmanager, read for their rules only) rather than by running it: the yardstick the
// library's filters are held to. Receives the failures of a log in its order, with their
// times, and the jail's thresholds; sends the bans, each with its address and time.

export interface Thresholds {
  readonly maxretry: number;
  /** Seconds, as fail2ban counts. */
  readonly findtime: number;
  readonly bantime: number;
}

export interface Failure {
  readonly host: string;
  /** Seconds since the epoch. */
  readonly time: number;
}

export type Ban = Failure;

/** A host's failures as fail2ban's fail manager keeps them: a count and an interval. */
interface Record {
  first: number;
  last: number;
  retry: number;
}

/**
 * The bans of a jail over `failures`, in order. The rules:
 * - the jail forgets a host whose last failure is `findtime` old (its clean-up, which its
 *   threads run every few seconds, removes the host's record);
 * - a failure later than the host's last one first rescales its count when the interval
 *   since its first failure exceeds `findtime`: the count becomes the rate over that
 *   interval times `findtime`, rounded (half to even, as Python rounds), and the interval
 *   starts `findtime` before the new failure; then the count grows by one;
 * - at `maxretry` the host is banned and its count starts again from nothing; a host
 *   already banned has its ban lengthened to `bantime` after the new ticket instead;
 * - a ban ends when more than `bantime` has passed since it began (or was lengthened).
 */
export function jailBans(failures: readonly Failure[], t: Thresholds): Ban[] {
  const records = new Map<string, Record>();
  const banEnds = new Map<string, number>();
  const bans: Ban[] = [];
  for (const { host, time } of failures) {
    const retry = count(records, host, time, t.findtime);
    if (retry < t.maxretry) continue;
    records.delete(host);
    const end = banEnds.get(host);
    if (end !== undefined && time <= end) {
      banEnds.set(host, Math.max(end, time + t.bantime));
    } else {
      banEnds.set(host, time + t.bantime);
      bans.push({ host, time });
    }
  }
  return bans;
}

/** The host's count once the failure at `time` is added. */
function count(records: Map<string, Record>, host: string, time: number, findtime: number): number {
  const known = records.get(host);
  if (known === undefined || known.last <= time - findtime) {
    records.set(host, { first: time, last: time, retry: 1 });
    return 1;
  }
  if (time > known.last) {
    if (known.first < time - findtime) {
      known.retry = roundHalfEven((known.retry / (time - known.first)) * findtime);
      known.first = time - findtime;
    }
    known.last = time;
  }
  known.retry++;
  return known.retry;
}

/** Python's round() of a float: to the nearest integer, halves to the even one. */
export function roundHalfEven(x: number): number {
  const nearest = Math.round(x);
  return nearest - x === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest;
}
