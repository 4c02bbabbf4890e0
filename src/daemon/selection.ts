// Which filters and matches a control request covers: the -l limit, the NAME=REGEX selectors
// of show and flush, the address of unban and why (every match whose address value holds it
// or lies inside it). Owns nothing; receives the configuration's filters and what the
// request says; sends the filters with the test their matches must pass, or a RequestError
// whose message follows the CLI's grammar.

import type { Config } from '../concepts/config.js';
import type { Filter } from '../concepts/filter.js';
import type { Pattern } from '../concepts/pattern.js';
import { RegexError } from '../lib/errors.js';
import { type Network, networkOf, overlaps } from '../lib/ip.js';
import { type RegexNode, regex } from '../lib/regex/index.js';
import { closest } from '../lib/suggest.js';
import type { Limit, Selector } from '../protocol.js';

/** A mistake in a request, answered to the client (never a failure of the daemon). */
export class RequestError extends Error {}

export type Test = (values: readonly string[]) => boolean;
/** The filters a request covers, each with the test its matches must pass (null: all pass). */
export type Selection = ReadonlyMap<Filter, Test | null>;

/** The filters of `-l STREAM[.FILTER]`, all without it; an unknown name is a RequestError. */
export function scope(filters: readonly Filter[], limit: Limit | undefined): Filter[] {
  if (limit === undefined) return [...filters];
  const inStream = filters.filter((f) => f.stream === limit.stream);
  if (inStream.length === 0)
    throw new RequestError(unknown('stream', limit.stream, new Set(filters.map((f) => f.stream))));
  if (limit.filter === undefined) return inStream;
  const one = inStream.filter((f) => f.name === limit.filter);
  if (one.length === 0) {
    const names = inStream.map((f) => f.name);
    throw new RequestError(unknown('filter', limit.filter, names, { stream: limit.stream }));
  }
  return one;
}

/** The filters of a limit, each with the NAME=REGEX selectors as one test. */
export function selection(
  config: Config,
  filters: readonly Filter[],
  request: { readonly limit?: Limit | undefined; readonly selectors: readonly Selector[] },
): Selection {
  const tests = request.selectors.map(([name, source]) => ({
    name,
    test: selectorTest(config, name, source),
  }));
  const selected = new Map<Filter, Test | null>();
  for (const filter of scope(filters, request.limit)) {
    const names = filter.patterns.map((p) => p.name);
    const checks = tests.map(({ name, test }) => ({ at: names.indexOf(name), test }));
    // A filter without a selected pattern has no match that a selector keeps.
    if (checks.some((c) => c.at < 0)) continue;
    selected.set(
      filter,
      checks.length === 0 ? null : (values) => checks.every((c) => c.test(values[c.at]!)),
    );
  }
  return selected;
}

/** An address or a network from a client: checked, canonical; a RequestError otherwise. */
export function addressOf(command: string, text: string): Network {
  const network = networkOf(text);
  if (network === undefined)
    throw new RequestError(
      `cannot ${command} ${JSON.stringify(text)}: not an IP address or network (such as 192.0.2.7, 2001:db8::1 or 192.0.2.0/24)`,
    );
  return network;
}

/**
 * The filters with an IP pattern, each keeping the matches one of whose address values and
 * `network` share an address: the address itself, the network of a masked pattern that holds
 * it, an address inside it when it is a network.
 */
export function addressSelection(
  filters: readonly Filter[],
  network: Network,
): ReadonlyMap<Filter, Test> {
  const selected = new Map<Filter, Test>();
  for (const filter of filters) {
    const at = filter.patterns.flatMap((p, i) => (p.type === 'regex' ? [] : [i]));
    if (at.length > 0) selected.set(filter, (values) => at.some((i) => holds(values[i], network)));
  }
  return selected;
}

/** Whether a value (an address or a network, as patterns write them) and `network` overlap. */
export function holds(value: string | undefined, network: Network): boolean {
  const other = value === undefined ? undefined : networkOf(value);
  return other !== undefined && overlaps(other, network);
}

function selectorTest(config: Config, name: string, source: string): (value: string) => boolean {
  if (!config.patterns.has(name)) {
    const where = ` in selector ${name}=${source}`;
    throw new RequestError(unknown('pattern', name, config.patterns.keys(), { where }));
  }
  let node: RegexNode;
  try {
    node = regex.parse(source);
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    throw new RequestError(
      `bad regex in selector ${name}=${source}: ${error.message} (at character ${error.offset + 1})`,
    );
  }
  try {
    return regex.wholeMatcher(node, { linearOnly: true }).test;
  } catch (error) {
    // Limits of the linear-time engine (RE2's repetition counts).
    if (!(error instanceof RegexError)) throw error;
    throw new RequestError(`bad regex in selector ${name}=${source}: ${error.message}`);
  }
}

/** `unknown filter "ssh.faildlogin", did you mean "ssh.failedlogin"? (filters of ssh: …)` */
function unknown(
  what: string,
  name: string,
  known: Iterable<string>,
  o: { stream?: string; where?: string } = {},
): string {
  const list = [...known];
  const near = closest(name, list);
  const id = (n: string) => (o.stream === undefined ? n : `${o.stream}.${n}`);
  const hint = near === undefined ? '' : `, did you mean "${id(near)}"?`;
  const of = o.stream === undefined ? '' : ` of ${o.stream}`;
  const names = list.join(', ') || 'none';
  return `unknown ${what} "${id(name)}"${o.where ?? ''}${hint} (${what}s${of}: ${names})`;
}

/** The configuration rule behind a pattern's `ignoredBy`, with what it holds. */
export function ruleOf(p: Pattern, ignoredBy: string): string {
  const place = `patterns.${p.name}`;
  if (ignoredBy.startsWith('ignore: ')) return `${place}.ignore (${ignoredBy.slice(8)})`;
  const i = /^ignoreregex\[(\d+)\]$/.exec(ignoredBy)?.[1];
  if (i !== undefined) return `${place}.ignoreregex[${i}] (${p.ignoreregex[Number(i)]})`;
  if (ignoredBy === 'ignorecidr') return `${place}.ignorecidr (${p.ignorecidr.join(', ')})`;
  return `${place}: ${ignoredBy}`;
}
