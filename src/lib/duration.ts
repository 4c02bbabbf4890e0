// Durations as written in configurations ("48h", "30 min", "1day") and as printed back.
// Receives strings; sends whole milliseconds. The grammar is strict on purpose: a typo in a
// ban length must stop the daemon, not silently become some other length.

const UNITS: ReadonlyMap<string, number> = new Map([
  ...['ms', 'millis', 'millisecond', 'milliseconds'].map((u) => [u, 1] as const),
  ...['s', 'sec', 'secs', 'second', 'seconds'].map((u) => [u, 1000] as const),
  ...['m', 'min', 'mins', 'minute', 'minutes'].map((u) => [u, 60_000] as const),
  ...['h', 'hour', 'hours'].map((u) => [u, 3_600_000] as const),
  ...['d', 'day', 'days'].map((u) => [u, 86_400_000] as const),
]);

/** Any letters as the unit, so that "48H" or "2w" are told their unit is unknown. */
const SHAPE = /^(\d+) *([A-Za-z]*)$/;

/** Milliseconds of a duration such as `48h`, or an error message saying why it is not one. */
export function parseDuration(text: string): number | { error: string } {
  const shape = SHAPE.exec(text);
  if (shape === null) {
    const why = /^\d+[.,]\d/.test(text)
      ? 'fractions are not allowed, use a smaller unit'
      : 'expected an integer followed by a unit, such as "48h" or "30 min"';
    return { error: `cannot parse duration ${JSON.stringify(text)}: ${why}` };
  }
  const [, digits = '', unit = ''] = shape;
  const factor = UNITS.get(unit);
  if (factor === undefined) {
    const why = unit === '' ? 'missing unit' : `unknown unit ${JSON.stringify(unit)}`;
    return { error: `cannot parse duration ${JSON.stringify(text)}: ${why} (ms, s, m, h or d)` };
  }
  const value = Number(digits) * factor;
  if (!Number.isSafeInteger(value)) {
    return { error: `cannot parse duration ${JSON.stringify(text)}: too large` };
  }
  return value;
}

const PRINTED: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** An exact writing of a duration in the largest unit that divides it (days from a week): `48h`, `30d`, `90s`. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of PRINTED) {
    if (unit === 'd' && ms < 7 * factor) continue;
    if (ms !== 0 && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return '0s';
}
