// The suite's results: one row per figure, a fixed-width table on stdout and the same rows as
// JSON. Receives rows from each benchmark; sends text and a JSON document. Never judges a
// run as failed: a target is reported as met or not met, nothing more.

import type { Spread } from './measure.js';

export interface Row {
  readonly benchmark: string;
  readonly tool: string;
  /** What is measured, with its unit: "lines/s", "ms per line (worst)". */
  readonly metric: string;
  readonly value: Spread;
  /** Digits after the point for value and spread. */
  readonly digits?: number;
  /** "riposte ÷ grep = 0.52×": how riposte compares with a reference; > 1 is riposte ahead. */
  readonly ratio?: string;
  readonly target?: string;
  /** Whether the target is met; undefined without a target or when it cannot be told. */
  readonly met?: boolean;
  /** Counts and checks: "100,236 matches = expected". */
  readonly note?: string;
}

const HEADERS = ['benchmark', 'tool', 'figure', 'spread (min–max)', 'ratio', 'target', 'met?'];

export function number(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function cells(row: Row): string[] {
  const d = row.digits ?? 0;
  const v = row.value;
  const figure = `${number(v.median, d)} ${row.metric}`;
  const range = v.n > 1 ? `${number(v.min, d)}–${number(v.max, d)} (n=${v.n})` : `(n=${v.n})`;
  const met = row.met === undefined ? '' : row.met ? 'met' : 'NOT MET';
  return [row.benchmark, row.tool, figure, range, row.ratio ?? '', row.target ?? '', met];
}

/** The table, with each row's note on the line below it. */
export function table(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  rows.forEach((row, i) => {
    out.push(line(body[i]!));
    if (row.note !== undefined) out.push(`${' '.repeat(widths[0]! + 2)}└ ${row.note}`);
  });
  return out.join('\n');
}

/** A Markdown table cell: pipes escaped, on one line. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The table in Markdown, each row's note in its last column, for docs/benchmarks.md. */
export function markdown(rows: readonly Row[]): string {
  const head = [...HEADERS, 'checks, and the profile of a target not met'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of rows) {
    const c = cells(row);
    c[6] = c[6] === 'NOT MET' ? '**not met**' : c[6]!;
    out.push(`| ${[...c, row.note ?? ''].map(cell).join(' | ')} |`);
  }
  return out.join('\n');
}

/** A ratio with the division it is: "riposte ÷ grep = 0.52×"; arranged so that > 1 favours riposte. */
export function times(ratio: number, division: string): string {
  if (!Number.isFinite(ratio)) return '';
  const digits = ratio >= 100 ? 0 : ratio >= 10 ? 1 : 2;
  return `${division} = ${number(ratio, digits)}×`;
}
