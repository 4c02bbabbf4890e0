// What a replay tells of one filter: per regex the lines it counted and those whose value
// an ignore rule refused (with the rule), the lines no regex matched, and the values
// counted. Owns those figures; receives every line the filter is given; sends back the
// match to count, if any, found with the filter's own `explain()` (the daemon's rules).

import type { Filter } from '../../concepts/filter.js';
import { keyOf } from '../filter.js';
import { type ServiceLines, serviceLines } from './service.js';

export interface RegexTally {
  readonly source: string;
  matched: number;
  /** Rule (`patterns.ip.ignorecidr`) → lines. */
  readonly ignored: Map<string, number>;
}

export interface MissedLine {
  readonly source: string;
  readonly line: number;
  readonly text: string;
}

export class FilterTally {
  readonly filter: Filter;
  lines = 0;
  matched = 0;
  /** Lines that a regex matched, but whose values an ignore rule refused for every regex. */
  ignored = 0;
  readonly regexes: readonly RegexTally[];
  /** Match key → its values and the lines that counted them, in order of first sight. */
  readonly values = new Map<string, { readonly values: readonly string[]; count: number }>();
  /** The lines no regex matched, when asked for: those of the filter's service, if known. */
  readonly missed: MissedLine[] | undefined;
  /** The service of a library filter, whose lines alone `missed` keeps. */
  readonly service: ServiceLines | undefined;
  /** The missed lines left out of `missed`: another program wrote them. */
  missedElsewhere = 0;
  /** Whether the last line seen was hit by a regex, counted or not. */
  #hit = false;

  constructor(filter: Filter, options: { keepMissed: boolean }) {
    this.filter = filter;
    // A struct filter's regexes are per field: it is told as a whole.
    const regexes = filter.struct === undefined ? filter.regexes : [];
    this.regexes = regexes.map((r) => ({ source: r.source, matched: 0, ignored: new Map() }));
    this.missed = options.keepMissed ? [] : undefined;
    this.service = options.keepMissed ? serviceLines(filter) : undefined;
  }

  get missedCount(): number {
    return this.lines - this.matched - this.ignored;
  }

  /** Whether the last line seen was hit by a regex, counted or not. */
  get hit(): boolean {
    return this.#hit;
  }

  /**
   * The values `text` counts for, or undefined; `source` and `line` say where it was read.
   * Lines are counted by the caller: those it does not look at cannot match.
   */
  see(text: string, source: string, line: number): readonly string[] | undefined {
    const values = this.filter.struct === undefined ? this.#explain(text) : this.#struct(text);
    if (values === undefined) {
      if (this.#hit) this.ignored++;
      else if (this.missed !== undefined) this.#miss({ source, line, text });
      return undefined;
    }
    this.matched++;
    const key = keyOf(values);
    const known = this.values.get(key);
    if (known === undefined) this.values.set(key, { values, count: 1 });
    else known.count++;
    return values;
  }

  #miss(missed: MissedLine): void {
    if (this.service === undefined || this.service.test(missed.text)) this.missed?.push(missed);
    else this.missedElsewhere++;
  }

  #explain(text: string): readonly string[] | undefined {
    const hits = this.filter.explain(text);
    this.#hit = hits.length > 0;
    let values: readonly string[] | undefined;
    for (const hit of hits) {
      const regex = this.regexes[hit.regex]!;
      if ('values' in hit) {
        regex.matched++;
        values = hit.values;
      } else {
        const rule = ruleOf(hit.pattern, hit.ignored);
        regex.ignored.set(rule, (regex.ignored.get(rule) ?? 0) + 1);
      }
    }
    return values;
  }

  #struct(text: string): readonly string[] | undefined {
    const values = this.filter.match(text);
    this.#hit = values !== undefined;
    return values;
  }
}

/** `patterns.ip.ignorecidr`, `patterns.ip.ignore: 127.0.0.1`, `patterns.ip: not a valid value`. */
function ruleOf(pattern: string, ignored: string): string {
  return ignored.startsWith('ignore')
    ? `patterns.${pattern}.${ignored}`
    : `patterns.${pattern}: ${ignored}`;
}
