// `riposte show` and `riposte flush`: ask the daemon for its counts, triggers in effect and
// pending actions (or to run them now) and print them. Receives the -l limit, NAME=REGEX
// selectors and --lines; sends the report to stdout as YAML or JSON (schema:
// docs/show-format.md), and one warning line per stream that is not running to stderr. The
// report is written by hand for its fixed shape: a generic YAML writer takes seconds on 100k
// matches.

import { UsageError } from '../lib/errors.js';
import type { Column, FilterReport, Limit, Selector, StreamDown } from '../protocol.js';
import { request } from './request.js';

export interface ShowOptions {
  readonly socket: string;
  readonly format: 'yaml' | 'json';
  readonly limit?: string;
  readonly selectors: readonly string[];
  /** show: also the lines of each match. */
  readonly lines?: boolean;
}

/**
 * A filter's pending actions (or its triggers' times) as printed: chained by match through
 * indices, rather than held in an object per match (100k of those would cost more than the
 * rest of `show`).
 */
interface Chains {
  /** Per entry: its action, its due time, the next entry of the same match or -1. */
  readonly action: readonly string[];
  readonly due: readonly number[];
  readonly next: readonly number[];
}

/** What a filter's report holds beside its counts, chained by match. */
interface Parts {
  readonly actions: Chains;
  readonly triggers: Chains;
  readonly permanent: ReadonlySet<string>;
  readonly lines: Readonly<Record<string, readonly string[]>> | undefined;
}

/**
 * One match as printed: its recent matches (or -1), its first action entry and its first
 * trigger entry (or -1).
 */
type Visit = (match: string, count: number, first: number, trigger: number, parts: Parts) => void;

export async function show(kind: 'show' | 'flush', o: ShowOptions): Promise<number> {
  const limit = parseLimit(o.limit);
  const selectors = o.selectors.map((s) => parseSelector(s, 'NAME=REGEX'));
  const response = await request(o.socket, {
    v: 1,
    type: kind,
    ...(limit === undefined ? {} : { limit }),
    selectors,
    ...(kind === 'show' && o.lines === true ? { lines: true } : {}),
  });
  if (!('report' in response)) throw new UsageError('unexpected answer from the daemon');
  for (const down of response.down) process.stderr.write(`riposte: warning: ${downLine(down)}\n`);
  printReport(response.report, o.format);
  return 0;
}

/** A report of show, flush or unban, as YAML or JSON on stdout. */
export function printReport(report: readonly FilterReport[], format: 'yaml' | 'json'): void {
  const out = new Output();
  if (format === 'json') toJson(report, out);
  else toYaml(report, out);
  out.end();
}

export function parseLimit(text: string | undefined): Limit | undefined {
  if (text === undefined) return undefined;
  const [stream = '', filter, extra] = text.split('.');
  if (stream === '' || filter === '' || extra !== undefined) {
    throw new UsageError(`-l ${text}: expected STREAM or STREAM.FILTER`);
  }
  return filter === undefined ? { stream } : { stream, filter };
}

/** NAME=REGEX for show and flush, NAME=VALUE for trigger: split at the first "=". */
export function parseSelector(text: string, form: 'NAME=REGEX' | 'NAME=VALUE'): Selector {
  const equal = text.indexOf('=');
  if (equal <= 0) {
    const example = form === 'NAME=REGEX' ? 'ip=192\\.0\\.2\\..*' : 'ip=192.0.2.1';
    throw new UsageError(`${JSON.stringify(text)}: expected ${form}, such as ${example}`);
  }
  return [text.slice(0, equal), text.slice(equal + 1)];
}

function downLine(down: StreamDown): string {
  const exit = down.lastExit === undefined ? '' : ` after ${down.lastExit}`;
  switch (down.state) {
    case 'restarting':
      return `stream ${down.stream} is not running: it is waiting to start again${exit}`;
    case 'finished':
      return `stream ${down.stream} is not running: it ended${exit} and is not started again`;
    default:
      return `stream ${down.stream} is not running (${down.state})${exit}`;
  }
}

/** Chains entries of named columns by match; `first` maps each match to its first entry. */
function chainsOf(
  columns: Readonly<Record<string, Column>>,
): Chains & { readonly first: Map<string, number> } {
  const action: string[] = [];
  const due: number[] = [];
  const next: number[] = [];
  const first = new Map<string, number>();
  for (const name of Object.keys(columns).sort()) {
    const column = columns[name]!;
    for (let i = 0; i < column.match.length; i++) {
      const entry = action.push(name) - 1;
      due.push(column.value[i]!);
      next.push(-1);
      let last = first.get(column.match[i]!);
      if (last === undefined) first.set(column.match[i]!, entry);
      else {
        while (next[last]! >= 0) last = next[last]!;
        next[last] = entry;
      }
    }
  }
  return { action, due, next, first };
}

/**
 * Visits each match of a filter once, with its chains of actions and of triggers: the
 * counted ones as the daemon sent them (first seen first), then those with triggers in
 * effect, then any other. Not sorted: sorting 100k matches would cost more than the rest of
 * `show`.
 */
function eachMatch(report: FilterReport, visit: Visit): void {
  const actions = chainsOf(report.actions);
  const triggers = chainsOf({ '': report.triggers });
  const parts: Parts = {
    actions,
    triggers,
    permanent: new Set(report.permanent),
    lines: report.lines,
  };
  const take = (m: string, chains: typeof actions): number => {
    const entry = chains.first.get(m);
    if (entry === undefined) return -1;
    chains.first.delete(m);
    return entry;
  };
  const { match, value } = report.counts;
  for (let i = 0; i < match.length; i++) {
    visit(match[i]!, value[i]!, take(match[i]!, actions), take(match[i]!, triggers), parts);
  }
  for (const m of [...triggers.first.keys()])
    visit(m, -1, take(m, actions), take(m, triggers), parts);
  for (const [m, entry] of actions.first) visit(m, -1, entry, -1, parts);
}

/** Groups the filters by stream, keeping the daemon's (configuration) order. */
function byStream(reports: readonly FilterReport[]): Map<string, FilterReport[]> {
  const streams = new Map<string, FilterReport[]>();
  for (const r of reports) {
    const list = streams.get(r.stream);
    if (list === undefined) streams.set(r.stream, [r]);
    else list.push(r);
  }
  return streams;
}

/** Exactly what JSON.stringify(report, null, 2) prints, without building the report. */
function toJson(reports: readonly FilterReport[], out: Output): void {
  if (reports.length === 0) {
    out.push('{}\n');
    return;
  }
  const q = JSON.stringify;
  let streamSep = '{\n';
  for (const [stream, filters] of byStream(reports)) {
    out.push(`${streamSep}  ${q(stream)}: `);
    let filterSep = '{\n';
    for (const report of filters) {
      out.push(`${filterSep}    ${q(report.filter)}: {`);
      let sep = '\n';
      eachMatch(report, (match, count, first, trigger, parts) => {
        const fields: string[] = [];
        if (count >= 0) fields.push(`        "matches": ${count}`);
        if (trigger >= 0) fields.push(`        "triggered": ${jsonTimes(parts.triggers, trigger)}`);
        if (parts.permanent.has(match)) fields.push('        "permanent": true');
        if (first >= 0) fields.push(jsonActions(parts.actions, first));
        const lines = parts.lines?.[match];
        if (lines !== undefined && lines.length > 0) fields.push(jsonLines(lines));
        out.push(`${sep}      ${q(match)}: {\n${fields.join(',\n')}\n      }`);
        sep = ',\n';
      });
      out.push('\n    }');
      filterSep = ',\n';
    }
    out.push('\n  }');
    streamSep = ',\n';
  }
  out.push('\n}\n');
}

/** The times of one chain from `first`, as a JSON list at the depth of a match's fields. */
function jsonTimes(c: Chains, first: number, indent = '        '): string {
  const name = c.action[first]!;
  const times: string[] = [];
  for (let i = first; i >= 0 && c.action[i] === name; i = c.next[i]!)
    times.push(`${indent}  "${isoTime(c.due[i]!)}"`);
  return `[\n${times.join(',\n')}\n${indent}]`;
}

function jsonActions(c: Chains, first: number): string {
  const names: string[] = [];
  for (let i = first; i >= 0; ) {
    const name = c.action[i]!;
    names.push(`          ${JSON.stringify(name)}: ${jsonTimes(c, i, '          ')}`);
    while (i >= 0 && c.action[i] === name) i = c.next[i]!;
  }
  return `        "actions": {\n${names.join(',\n')}\n        }`;
}

function jsonLines(lines: readonly string[]): string {
  const items = lines.map((l) => `          ${JSON.stringify(l)}`).join(',\n');
  return `        "lines": [\n${items}\n        ]`;
}

/** Block YAML, as the `yaml` package prints it for this shape (short time lists in flow style). */
function toYaml(reports: readonly FilterReport[], out: Output): void {
  if (reports.length === 0) {
    out.push('{}\n');
    return;
  }
  for (const [stream, filters] of byStream(reports)) {
    out.push(`${yamlKey(stream, '')}\n`);
    for (const report of filters) {
      out.push(`${yamlKey(report.filter, '  ')}\n`);
      eachMatch(report, (match, count, first, trigger, parts) => {
        let text = `${yamlKey(match, '    ')}\n`;
        if (count >= 0) text += `      matches: ${count}\n`;
        if (trigger >= 0) text += yamlTimes('      triggered:', parts.triggers, trigger);
        if (parts.permanent.has(match)) text += '      permanent: true\n';
        if (first >= 0) text += yamlActions(parts.actions, first);
        const lines = parts.lines?.[match];
        if (lines !== undefined && lines.length > 0)
          text += `      lines:\n${lines.map((l) => `        - ${JSON.stringify(l)}\n`).join('')}`;
        out.push(text);
      });
    }
  }
}

/** `head [ t1, t2 ]` when short, else one `- t` per line under it. */
function yamlTimes(head: string, c: Chains, first: number): string {
  const name = c.action[first]!;
  const times: string[] = [];
  for (let i = first; i >= 0 && c.action[i] === name; i = c.next[i]!)
    times.push(isoTime(c.due[i]!));
  const width = times.reduce((n, t) => n + t.length + 2, 0);
  const indent = ' '.repeat(head.length - head.trimStart().length + 2);
  return width < 80
    ? `${head} [ ${times.join(', ')} ]\n`
    : `${head}\n${times.map((t) => `${indent}- ${t}\n`).join('')}`;
}

function yamlActions(c: Chains, first: number): string {
  let text = '      actions:\n';
  for (let i = first; i >= 0; ) {
    const name = c.action[i]!;
    text += yamlTimes(yamlKey(name, '        '), c, i);
    while (i >= 0 && c.action[i] === name) i = c.next[i]!;
  }
  return text;
}

/**
 * Words and numbers that YAML 1.2 (or 1.1, still common) reads as something else than a
 * string, and the merge key "<<".
 */
const NOT_STRING =
  /^(?:~|<<|=|null|Null|NULL|true|True|TRUE|false|False|FALSE|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
/** What a plain (unquoted) key must not hold: indicators first, ": ", " #", controls, edges. */
const NOT_PLAIN =
  /^[\s,[\]{}#&*!|>'"%@`]|^[-?:](?:\s|$)|:(?:\s|$)|\s#|\s$|[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** Longest implicit key in YAML; a longer one is written as an explicit "? key". */
const MAX_IMPLICIT_KEY = 1024;

/** "key:" at an indent, quoted as JSON (a valid YAML double-quoted scalar) when it must be. */
function yamlKey(key: string, indent: string): string {
  const text =
    key === '' || NOT_PLAIN.test(key) || NOT_STRING.test(key) ? JSON.stringify(key) : key;
  if (text.length <= MAX_IMPLICIT_KEY) return `${indent}${text}:`;
  return `${indent}? ${text}\n${indent}:`;
}

/** Per minute since the epoch: "YYYY-MM-DDTHH:MM:" in local time, and the zone offset. */
const minutes = new Map<number, readonly [prefix: string, zone: string]>();

/** ISO 8601 local time, as `localIsoTime` prints it; 100k of them must cost little. */
export function isoTime(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  let cached = minutes.get(minute);
  if (cached === undefined) {
    const offset = -new Date(ms).getTimezoneOffset();
    const abs = Math.abs(offset);
    const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
    const prefix = new Date(minute * 60_000 + offset * 60_000).toISOString().slice(0, 17);
    cached = [prefix, zone];
    minutes.set(minute, cached);
  }
  const rest = ms - minute * 60_000;
  return `${cached[0]}${pad(Math.floor(rest / 1000), 2)}.${pad(rest % 1000, 3)}${cached[1]}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Writes to stdout in chunks of about a megabyte, as the report is produced. A reader that
 * goes away (`riposte show | head`) ends the output quietly.
 */
class Output {
  #chunk = '';

  constructor() {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return;
      process.stderr.write(`riposte: cannot write the report: ${error.message}\n`);
      process.exitCode = 1;
    });
  }

  push(text: string): void {
    this.#chunk += text;
    if (this.#chunk.length >= 1 << 20) this.#flush();
  }

  end(): void {
    this.#flush();
  }

  #flush(): void {
    if (this.#chunk !== '') process.stdout.write(this.#chunk);
    this.#chunk = '';
  }
}
