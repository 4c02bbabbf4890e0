// The pattern concept: a named regex fragment (`<ip>`) captured by filter regexes, with the
// rules that turn a text into a match value. Receives a raw pattern map; sends a frozen
// Pattern whose `value()` canonicalises, ignores and masks what a regex captured, and whose
// `accept()` does the same for a text from anywhere else, after checking it whole.

import type { BlockList } from 'node:net';
import { RegexError } from '../lib/errors.js';
import {
  blockListOf,
  canonicalIp,
  cidrError,
  familyOf,
  IP_BOUNDARY,
  IP_REGEX,
  type IpFamily,
  isWholeAddress,
  maskIp,
} from '../lib/ip.js';
import { type RegexNode, regex } from '../lib/regex/index.js';
import type { Checker, Path } from './check.js';

export const PATTERN_TYPES = ['regex', 'ip', 'ipv4', 'ipv6'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];
const KEYS = ['regex', 'type', 'ignore', 'ignoreregex', 'ignorecidr', 'ipv4mask', 'ipv6mask'];

/** What a captured text becomes: a value, or the rule that ignores it, or nothing (not a valid value). */
export type Valued = { readonly value: string } | { readonly ignoredBy: string } | undefined;

export interface Pattern {
  readonly name: string;
  readonly type: PatternType;
  /** The fragment's source in the configuration's regex dialect. */
  readonly regex: string;
  /** What `<name>` stands for in a filter regex: a capture of the fragment, with IP boundaries. */
  readonly node: RegexNode;
  readonly ignore: readonly string[];
  readonly ignoreregex: readonly string[];
  readonly ignorecidr: readonly string[];
  readonly ipv4mask: number | undefined;
  readonly ipv6mask: number | undefined;
  /** The hot path: a text that the fragment captured from a line (so it already matches it). */
  value(captured: string): Valued;
  /**
   * A text from outside (`trigger`, the state file): a value only if the fragment matches
   * it whole (an address of the type, for IP types; a network of the mask's prefix too,
   * for masked ones), then canonicalised, ignored and masked as a capture is.
   */
  accept(text: string): Valued;
  /** Whether a value can start with "-", which a program would read as an option. */
  readonly optionLike: boolean;
  /** For IP types: whether line[start, end) is a whole address (what look-arounds say in V8). */
  readonly boundary: ((line: string, start: number, end: number) => boolean) | undefined;
}

export function buildPattern(
  c: Checker,
  path: Path,
  name: string,
  raw: unknown,
): Pattern | undefined {
  if (!/^\w+$/.test(name))
    return c.fail(path, 'a pattern name is made of letters, digits and "_"', 'key');
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const written =
    map['type'] === undefined ? 'regex' : c.oneOf(map['type'], [...path, 'type'], PATTERN_TYPES);
  // A wrong type is reported; the rest is checked as for a regex, if there is one to check.
  if (written === undefined && map['regex'] === undefined) return undefined;
  const type = written ?? 'regex';
  const source = patternSource(c, path, type, map['regex']);
  const body = source === undefined ? undefined : parseFragment(c, [...path, 'regex'], source);
  if (body !== undefined && type === 'regex' && regex.matchesEmpty(body)) warnEmpty(c, path, name);
  const ip = type === 'regex' ? undefined : type;
  const masks = readMasks(c, path, ip, map);
  const ignorecidr = readCidrs(c, [...path, 'ignorecidr'], ip, map['ignorecidr']);
  const ignoreregex = readIgnoreRegexes(c, [...path, 'ignoreregex'], map['ignoreregex']);
  if (body === undefined || source === undefined || c.errors.length > errors) return undefined;
  const node = captureNode(name, body, ip);
  const whole = wholeMatcher(c, [...path, 'regex'], body, ip === undefined);
  if (whole === undefined) return undefined;
  const rules: Rules = {
    whole,
    ip,
    ignore: new Set<string>(),
    ignoreregex: ignoreregex?.map((r) => r.test) ?? [],
    blocks: ignorecidr === undefined ? undefined : blockListOf(ignorecidr),
    ...masks,
  };
  const ignore = readIgnores(c, [...path, 'ignore'], map['ignore'], rules);
  if (ignore === undefined) return undefined;
  for (const v of ignore) rules.ignore.add(v);
  return Object.freeze({
    name,
    type,
    regex: source,
    node,
    ignore,
    ignoreregex: ignoreregex?.map((r) => r.source) ?? [],
    ignorecidr: ignorecidr ?? [],
    ipv4mask: masks.ipv4mask,
    ipv6mask: masks.ipv6mask,
    value: valueFunction(rules),
    accept: (text: string) => accepted(text, rules),
    optionLike: ip === undefined && regex.canStartWith(body, '-'),
    boundary: ip === undefined ? undefined : isWholeAddress,
  });
}

/**
 * Answers remembered per pattern, in two generations of this many: offenders repeat
 * themselves, and value() is on the hot path. A value seen in the last generation is kept.
 */
const GENERATION = 8192;
const INVALID = { invalid: true } as const;
type Remembered = Exclude<Valued, undefined> | typeof INVALID;

function valueFunction(rules: Rules): (captured: string) => Valued {
  const slow = memoised((captured: string) => capturedValue(captured, rules));
  const plain =
    rules.ignore.size === 0 &&
    rules.ignoreregex.length === 0 &&
    rules.blocks === undefined &&
    rules.ipv4mask === undefined;
  if (!plain || (rules.ip !== 'ip' && rules.ip !== 'ipv4')) return slow;
  // The built-in IPv4 regex only captures canonical addresses: with no rule to apply, the
  // captured text is the value, and the most common case skips the memo. True of a capture
  // only: a text from elsewhere goes through accept().
  return (captured) => (captured.includes(':') ? slow(captured) : { value: detach(captured) });
}

/** The same function, remembering its recent answers (it is pure). */
function memoised(f: (captured: string) => Valued): (captured: string) => Valued {
  let recent = new Map<string, Remembered>();
  let older = new Map<string, Remembered>();
  return (captured) => {
    let known = recent.get(captured);
    if (known === undefined) {
      const key = detach(captured);
      known = older.get(key) ?? answer(f, key);
      if (recent.size >= GENERATION) {
        older = recent;
        recent = new Map();
      }
      recent.set(key, known);
    }
    return known === INVALID ? undefined : (known as Exclude<Valued, undefined>);
  };
}

/** f's answer for a detached text; a value equal to the text is that same detached string. */
function answer(f: (captured: string) => Valued, text: string): Remembered {
  const valued = f(text);
  if (valued === undefined) return INVALID;
  return 'value' in valued && valued.value !== text ? { value: detach(valued.value) } : valued;
}

/**
 * A copy that does not keep its source alive: a capture is a slice of a line, itself a
 * slice of a 64 KiB block, which a remembered slice would keep in memory. Prepending then
 * slicing makes V8 copy the characters into a string of their own.
 */
function detach(text: string): string {
  return ` ${text}`.slice(1);
}

interface Rules {
  readonly whole: (text: string) => boolean;
  readonly ip: IpFamily | 'ip' | undefined;
  readonly ignore: Set<string>;
  readonly ignoreregex: readonly ((text: string) => boolean)[];
  readonly blocks: BlockList | undefined;
  readonly ipv4mask: number | undefined;
  readonly ipv6mask: number | undefined;
}

/**
 * A text from outside: whole-matched first, since nothing has matched it yet. A network is
 * taken for a masked IP pattern when its prefix is the mask's: it is a value such a pattern
 * gives (the state file holds them), and it stands for the address it was made from.
 */
function accepted(text: string, rules: Rules): Valued {
  if (rules.ip === undefined) return rules.whole(text) ? capturedValue(text, rules) : undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return capturedValue(text, rules);
  if (cidrError(text) !== undefined) return undefined;
  const address = text.slice(0, slash);
  const canonical = ipValue(address, rules.ip);
  if (canonical === undefined) return undefined;
  const mask = familyOf(canonical) === 'ipv4' ? rules.ipv4mask : rules.ipv6mask;
  return mask === Number(text.slice(slash + 1)) ? capturedValue(canonical, rules) : undefined;
}

/** Canonical form, then the ignore rules, then the mask; see behaviour §1.4. */
function capturedValue(captured: string, rules: Rules): Valued {
  let value = captured;
  let family: IpFamily | undefined;
  if (rules.ip !== undefined) {
    const canonical = ipValue(captured, rules.ip);
    if (canonical === undefined) return undefined;
    family = familyOf(canonical);
    value = canonical;
  }
  if (rules.ignore.has(value)) return { ignoredBy: `ignore: ${value}` };
  for (const [i, test] of rules.ignoreregex.entries()) {
    if (test(value)) return { ignoredBy: `ignoreregex[${i}]` };
  }
  if (family !== undefined && rules.blocks?.check(value, family) === true) {
    return { ignoredBy: 'ignorecidr' };
  }
  const mask = family === 'ipv4' ? rules.ipv4mask : family === 'ipv6' ? rules.ipv6mask : undefined;
  return { value: mask === undefined ? value : maskIp(value, mask) };
}

function patternSource(
  c: Checker,
  path: Path,
  type: PatternType,
  raw: unknown,
): string | undefined {
  if (type === 'regex') {
    if (raw === undefined)
      return c.fail(path, 'missing key "regex" (or a "type" of ip, ipv4 or ipv6)');
    return c.string(raw, [...path, 'regex']);
  }
  if (raw !== undefined) {
    return c.fail(
      [...path, 'regex'],
      `a pattern of type "${type}" has a built-in regex: remove "regex"`,
      'key',
    );
  }
  return type === 'ip' ? `${IP_REGEX.ipv6}|${IP_REGEX.ipv4}` : IP_REGEX[type];
}

function parseFragment(c: Checker, path: Path, source: string): RegexNode | undefined {
  try {
    return regex.parse(source);
  } catch (error) {
    if (!(error instanceof RegexError)) throw error;
    return c.fail(path, `invalid regex: ${error.message} (at character ${error.offset + 1})`);
  }
}

/**
 * reaction accepts a pattern that can capture nothing, and real configurations have them
 * (`.*`, `\S*`): its empty value is a value like any other, so they load, with a warning.
 */
function warnEmpty(c: Checker, path: Path, name: string): void {
  c.warn(
    [...path, 'regex'],
    `can match the empty string: a line where <${name}> captures nothing counts under the empty value "", and actions get "" in its place`,
  );
}

/** `(fragment)`, and for IP types the look-arounds that make it a whole address. */
function captureNode(name: string, body: RegexNode, ip: IpFamily | 'ip' | undefined): RegexNode {
  if (ip === undefined) return regex.capture(name, body);
  const bounded = (family: IpFamily): RegexNode =>
    regex.concat([
      regex.look({ behind: true, negate: true, body: regex.parse(IP_BOUNDARY[family].before) }),
      regex.parse(IP_REGEX[family]),
      regex.look({ behind: false, negate: true, body: regex.parse(IP_BOUNDARY[family].after) }),
    ]);
  const inner = ip === 'ip' ? regex.alternation([bounded('ipv6'), bounded('ipv4')]) : bounded(ip);
  if (ip !== 'ipv4') return regex.capture(name, inner);
  // Dual-stack servers log IPv4 clients as ::ffff:1.2.3.4: an ipv4 pattern takes the address.
  return regex.concat([regex.parse(V4_MAPPED_PREFIX), regex.capture(name, inner)]);
}

const V4_MAPPED_PREFIX = '(?:::[fF]{4}:)?';

function readMasks(
  c: Checker,
  path: Path,
  ip: IpFamily | 'ip' | undefined,
  map: Record<string, unknown>,
) {
  const read = (
    key: 'ipv4mask' | 'ipv6mask',
    family: IpFamily,
    max: number,
  ): number | undefined => {
    if (map[key] === undefined) return undefined;
    if (ip === undefined || (ip !== 'ip' && ip !== family)) {
      return c.fail([...path, key], `applies to a pattern of type ip or ${family}`, 'key');
    }
    const bits = c.integer(map[key], [...path, key], 0);
    if (bits !== undefined && bits > max)
      return c.fail([...path, key], `must be at most ${max}, got ${bits}`);
    return bits;
  };
  return { ipv4mask: read('ipv4mask', 'ipv4', 32), ipv6mask: read('ipv6mask', 'ipv6', 128) };
}

function readCidrs(
  c: Checker,
  path: Path,
  ip: IpFamily | 'ip' | undefined,
  raw: unknown,
): string[] | undefined {
  if (raw === undefined) return undefined;
  if (ip === undefined) return c.fail(path, 'applies to a pattern of type ip, ipv4 or ipv6', 'key');
  const cidrs = c.stringList(raw, path, { nonEmpty: false });
  cidrs?.forEach((cidr, i) => {
    const why = cidrError(cidr);
    if (why !== undefined)
      c.fail([...path, i], `cannot parse network ${JSON.stringify(cidr)}: ${why}`);
  });
  return cidrs;
}

function readIgnoreRegexes(c: Checker, path: Path, raw: unknown) {
  if (raw === undefined) return undefined;
  const sources = c.stringList(raw, path, { nonEmpty: false }) ?? [];
  return sources.flatMap((source, i) => {
    const node = parseFragment(c, [...path, i], source);
    const test = node === undefined ? undefined : wholeMatcher(c, [...path, i], node, true);
    return test === undefined ? [] : [{ source, test }];
  });
}

/**
 * The whole-text test of a fragment, on the engines of filter regexes: values come from log
 * lines and clients. Its warnings are reported when the fragment is the user's.
 */
function wholeMatcher(
  c: Checker,
  path: Path,
  node: RegexNode,
  warn: boolean,
): ((text: string) => boolean) | undefined {
  try {
    const whole = regex.wholeMatcher(node);
    if (warn) for (const w of whole.warnings) c.warn(path, w);
    return whole.test;
  } catch (error) {
    // Limits of the linear-time engine (RE2's repetition counts).
    if (!(error instanceof RegexError)) throw error;
    return c.fail(path, `invalid regex: ${error.message}`);
  }
}

/** The canonical address that a pattern of type `ip` would capture from `text`, if any. */
function ipValue(text: string, ip: IpFamily | 'ip'): string | undefined {
  const canonical = canonicalIp(text);
  if (canonical === undefined || (ip !== 'ip' && familyOf(canonical) !== ip)) return undefined;
  return canonical;
}

function readIgnores(c: Checker, path: Path, raw: unknown, rules: Rules): string[] | undefined {
  if (raw === undefined) return [];
  const values = c.stringList(raw, path, { nonEmpty: false });
  if (values === undefined) return undefined;
  const errors = c.errors.length;
  const canonical = values.map((v, i) => {
    const valued = rules.ip === undefined ? (rules.whole(v) ? v : undefined) : ipValue(v, rules.ip);
    if (valued === undefined) {
      const kind = rules.ip === undefined ? '' : ` (type ${rules.ip})`;
      const network = rules.ip !== undefined && v.includes('/') && cidrError(v) === undefined;
      c.fail(
        [...path, i],
        `${JSON.stringify(v)} is not a value of this pattern${kind}, so it can never be ignored${network ? '; write networks in "ignorecidr"' : ''}`,
      );
    }
    return valued ?? v;
  });
  return c.errors.length === errors ? canonical : undefined;
}
