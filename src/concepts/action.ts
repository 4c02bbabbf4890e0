// The action concept: what a filter runs when it triggers, now or after a delay. Receives a
// raw action map and the filter's patterns; sends a frozen Action whose command or options
// are templates over the filter's pattern values.

import { closest } from '../lib/suggest.js';
import { type Checker, describe, type Path } from './check.js';
import {
  chainError,
  type PortRange,
  PROTOCOLS,
  parsePort,
  setNameError,
  targetError,
} from './kernel-names.js';
import type { Pattern } from './pattern.js';
import { declaredNames, type Scope } from './scope.js';
import { compileTemplate, slotNames, type Template } from './template.js';

export type Family = 'any' | 'ipv4' | 'ipv6';

interface ActionBase {
  readonly name: string;
  /** Delay in ms after the trigger; 0 for an immediate action. */
  readonly after: number;
  /** Whether `after` was written: an `after: 0s` action is still a pending one. */
  readonly delayed: boolean;
  readonly onexit: boolean;
  readonly oneshot: boolean;
  readonly family: Family;
  /** Index, in the filter's patterns, of the IP pattern that `family` is read from. */
  readonly familyPattern: number;
}

export type Action =
  | (ActionBase & {
      readonly type: 'cmd';
      readonly cmd: readonly string[];
      readonly argv: readonly Template[];
    })
  | (ActionBase & {
      readonly type: 'virtual';
      readonly sendText: string;
      readonly send: Template;
      readonly to: string;
    })
  | (ActionBase & {
      readonly type: 'cluster';
      readonly sendText: string;
      readonly send: Template;
    })
  | (ActionBase & SetAction);

/** An action of a built-in type that adds addresses to, or deletes them from, a kernel set. */
export interface SetAction {
  readonly type: 'ipset' | 'nftables';
  readonly set: string;
  readonly add: boolean;
  /** Index, in the filter's patterns, of the address to add or delete. */
  readonly pattern: number;
  /** The address families the set exists for: one set each. */
  readonly families: readonly ('ipv4' | 'ipv6')[];
  /** Where the drop rule hooks: iptables chains for ipset, nftables hooks for nftables. */
  readonly chains: readonly string[];
  /** What the rule does with a packet from a listed address. */
  readonly target: string;
  /** The destination ports the rule matches; none: every port. */
  readonly ports: readonly PortRange[];
  /** The protocols the rule matches; none: every packet. */
  readonly protocols: readonly ('tcp' | 'udp')[];
  /** The options as written, for `test-config`. */
  readonly options: Readonly<Record<string, unknown>>;
}

export const ACTION_TYPES = ['cmd', 'virtual', 'cluster', 'ipset', 'nftables'] as const;
const KEYS = ['cmd', 'after', 'onexit', 'oneshot', 'ipv4only', 'ipv6only', 'type', 'options'];

export interface ActionContext {
  /** The filter's patterns, in its order. */
  readonly patterns: readonly Pattern[];
  /** Their names, and those of broken patterns the filter's regexes use. */
  /** The patterns the filter's regexes capture; null when they are unknown (no regex). */
  readonly captured: ReadonlySet<string> | null;
  /** Whether the filter's regexes did not build, so that its patterns are only a guess. */
  readonly guessed: boolean;
  readonly scope: Scope;
}

export function buildAction(
  c: Checker,
  path: Path,
  name: string,
  raw: unknown,
  ctx: ActionContext,
): Action | undefined {
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  const type =
    map['type'] === undefined ? 'cmd' : c.oneOf(map['type'], [...path, 'type'], ACTION_TYPES);
  const base = buildBase(c, path, name, map, ctx);
  const body = type === undefined ? undefined : buildBody(c, path, type, map, ctx);
  if (base === undefined || body === undefined || c.errors.length > errors) return undefined;
  return Object.freeze({ ...base, ...body }) as Action;
}

function buildBase(
  c: Checker,
  path: Path,
  name: string,
  map: Record<string, unknown>,
  ctx: ActionContext,
): ActionBase | undefined {
  const delayed = map['after'] !== undefined;
  const after = delayed ? c.duration(map['after'], [...path, 'after']) : 0;
  const flag = (key: string): boolean =>
    map[key] === undefined ? false : (c.boolean(map[key], [...path, key]) ?? false);
  const onexit = flag('onexit');
  const oneshot = flag('oneshot');
  const v4 = flag('ipv4only');
  const v6 = flag('ipv6only');
  if (onexit && !delayed)
    c.fail([...path, 'onexit'], 'onexit applies to a delayed action: add "after"');
  if (oneshot && delayed)
    c.fail(
      [...path, 'oneshot'],
      'oneshot applies to an immediate action: it cannot be combined with "after"',
    );
  if (v4 && v6) c.fail([...path, 'ipv6only'], 'ipv4only and ipv6only cannot both be true');
  const familyPattern = ctx.patterns.findIndex((p) => p.type !== 'regex');
  if ((v4 || v6) && familyPattern < 0 && !ctx.guessed) {
    c.fail(
      [...path, v4 ? 'ipv4only' : 'ipv6only'],
      'the filter has no pattern of type ip, ipv4 or ipv6 to tell the address family',
    );
  }
  if (after === undefined) return undefined;
  const family: Family = v4 ? 'ipv4' : v6 ? 'ipv6' : 'any';
  return { name, after, delayed, onexit, oneshot, family, familyPattern };
}

type Body =
  | { type: 'cmd'; cmd: string[]; argv: Template[] }
  | { type: 'virtual'; sendText: string; send: Template; to: string }
  | { type: 'cluster'; sendText: string; send: Template }
  | SetAction;

function buildBody(
  c: Checker,
  path: Path,
  type: (typeof ACTION_TYPES)[number],
  map: Record<string, unknown>,
  ctx: ActionContext,
): Body | undefined {
  if (type !== 'cmd' && map['cmd'] !== undefined) {
    return c.fail(
      [...path, 'cmd'],
      `an action of type "${type}" takes "options", not "cmd"`,
      'key',
    );
  }
  switch (type) {
    case 'cmd':
      if (map['options'] !== undefined)
        c.fail([...path, 'options'], 'an action of type "cmd" has no options', 'key');
      return buildCmd(c, path, map, ctx);
    case 'virtual':
      return buildVirtual(c, [...path, 'options'], map['options'], ctx);
    case 'cluster':
      return buildShare(c, [...path, 'options'], map['options'], ctx);
    case 'ipset':
    case 'nftables':
      return buildSetAction(c, [...path, 'options'], type, map['options'], ctx);
  }
}

function buildCmd(
  c: Checker,
  path: Path,
  map: Record<string, unknown>,
  ctx: ActionContext,
): Body | undefined {
  if (map['cmd'] === undefined) return c.fail(path, 'missing key "cmd"');
  const cmd = c.argv(map['cmd'], [...path, 'cmd']);
  if (cmd === undefined) return undefined;
  const argv = cmd.map((arg, i) => template(c, [...path, 'cmd', i], arg, ctx));
  return { type: 'cmd', cmd, argv };
}

function buildVirtual(c: Checker, path: Path, raw: unknown, ctx: ActionContext): Body | undefined {
  const options = c.map(raw ?? {}, path, ['send', 'to']);
  if (options === undefined) return undefined;
  if (options['send'] === undefined) return c.fail(path, 'missing key "send"');
  if (options['to'] === undefined) return c.fail(path, 'missing key "to"');
  const send = c.string(options['send'], [...path, 'send']);
  const to = c.string(options['to'], [...path, 'to']);
  if (to !== undefined && !ctx.scope.virtual.has(to)) {
    const near = closest(to, ctx.scope.virtual);
    const hint = near === undefined ? '' : `, did you mean "${near}"?`;
    return c.fail([...path, 'to'], `"${to}" is not a stream of type "virtual"${hint}`);
  }
  if (send === undefined || to === undefined) return undefined;
  return { type: 'virtual', sendText: send, send: template(c, [...path, 'send'], send, ctx), to };
}

/** The line every other host's cluster stream receives; one line, so that no filter sees two. */
function buildShare(c: Checker, path: Path, raw: unknown, ctx: ActionContext): Body | undefined {
  const options = c.map(raw ?? {}, path, ['send']);
  if (options === undefined) return undefined;
  if (options['send'] === undefined) return c.fail(path, 'missing key "send"');
  const send = c.string(options['send'], [...path, 'send']);
  if (send === undefined) return undefined;
  if (/[\r\n]/.test(send)) return c.fail([...path, 'send'], 'a line cannot hold a line break');
  return { type: 'cluster', sendText: send, send: template(c, [...path, 'send'], send, ctx) };
}

/** reaction's option names; nftables also takes riposte's older `chains` for its `hooks`. */
const SET_KEYS = {
  ipset: ['set', 'action', 'pattern', 'version', 'chains', 'target', 'ports', 'protocol'],
  nftables: [
    'set',
    'action',
    'pattern',
    'version',
    'hooks',
    'chains',
    'target',
    'ports',
    'protocol',
  ],
};
const SET_DEFAULTS = {
  ipset: { chains: ['INPUT', 'FORWARD'], target: 'DROP' },
  nftables: { chains: ['input', 'forward'], target: 'drop' },
};

function buildSetAction(
  c: Checker,
  path: Path,
  type: 'ipset' | 'nftables',
  raw: unknown,
  ctx: ActionContext,
): Body | undefined {
  const o = c.map(raw ?? {}, path, SET_KEYS[type]);
  if (o === undefined) return undefined;
  if (o['set'] === undefined) return c.fail(path, 'missing key "set"');
  const errors = c.errors.length;
  const set = c.string(o['set'], [...path, 'set']);
  const badSet = set === undefined ? undefined : setNameError(set);
  if (badSet !== undefined) c.fail([...path, 'set'], badSet);
  const op =
    o['action'] === undefined
      ? 'add'
      : c.oneOf(o['action'], [...path, 'action'], ['add', 'del', 'delete'] as const);
  const patternName =
    o['pattern'] === undefined ? 'ip' : c.string(o['pattern'], [...path, 'pattern']);
  const pattern = ctx.patterns.findIndex((p) => p.name === patternName);
  const ip = ctx.patterns[pattern];
  const unsure = ctx.guessed || (patternName !== undefined && ctx.scope.broken.has(patternName));
  if (patternName !== undefined && (ip === undefined || ip.type === 'regex') && !unsure) {
    c.fail(
      [...path, 'pattern'],
      `the filter has no pattern "${patternName}" of type ip, ipv4 or ipv6 (a ${type} set holds addresses)`,
    );
  }
  const version =
    o['version'] === undefined
      ? undefined
      : c.oneOf(o['version'], [...path, 'version'], ['ip', 'ipv4', 'ipv6'] as const);
  const chains = readChains(c, path, type, o);
  const target =
    o['target'] === undefined
      ? SET_DEFAULTS[type].target
      : c.string(o['target'], [...path, 'target']);
  // Written into the firewall's scripts and commands: a closed grammar, not free text.
  const chainsKey = o['hooks'] === undefined ? 'chains' : 'hooks';
  chains?.forEach((chain, i) => {
    const why = chainError(type, chain);
    if (why !== undefined) c.fail([...path, chainsKey, i], why);
  });
  const badTarget = target === undefined ? undefined : targetError(type, target);
  if (badTarget !== undefined) c.fail([...path, 'target'], badTarget);
  const ports = readPorts(c, [...path, 'ports'], o['ports']);
  const protocols = readProtocols(c, [...path, 'protocol'], o['protocol'], ports);
  if (
    set === undefined ||
    op === undefined ||
    ip === undefined ||
    chains === undefined ||
    target === undefined ||
    ports === undefined ||
    protocols === undefined ||
    c.errors.length > errors
  ) {
    return undefined;
  }
  const families = familiesOf(ip.type === 'regex' ? 'ip' : ip.type, version);
  if (families.length === 0)
    return c.fail([...path, 'version'], `contradicts the pattern "${ip.name}" of type ${ip.type}`);
  const add = op === 'add';
  return { type, set, add, pattern, families, chains, target, ports, protocols, options: o };
}

/** `ports: [22, '8000-8080']`: the destination ports a set's rule matches (none: every port). */
function readPorts(c: Checker, path: Path, raw: unknown): PortRange[] | undefined {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    return c.fail(path, `expected a list of ports such as [22, '8000-8080'], got ${describe(raw)}`);
  if (raw.length === 0) return c.fail(path, 'must not be empty (leave "ports" out for every port)');
  const errors = c.errors.length;
  const ranges = raw.flatMap((item, i) => {
    const range = parsePort(item);
    if (typeof range !== 'string') return [range];
    c.fail([...path, i], range);
    return [];
  });
  return c.errors.length === errors ? ranges : undefined;
}

/** `protocol`: tcp (the default with ports), udp or both; without ports or protocol, every packet. */
function readProtocols(
  c: Checker,
  path: Path,
  raw: unknown,
  ports: readonly PortRange[] | undefined,
): ('tcp' | 'udp')[] | undefined {
  const protocol =
    raw === undefined ? (ports?.length ? 'tcp' : undefined) : c.oneOf(raw, path, PROTOCOLS);
  if (raw !== undefined && protocol === undefined) return undefined;
  if (protocol === undefined) return [];
  return protocol === 'both' ? ['tcp', 'udp'] : [protocol];
}

function readChains(
  c: Checker,
  path: Path,
  type: 'ipset' | 'nftables',
  o: Record<string, unknown>,
): string[] | undefined {
  if (o['hooks'] !== undefined && o['chains'] !== undefined)
    return c.fail([...path, 'chains'], 'write either "hooks" or "chains", not both', 'key');
  const key = o['hooks'] === undefined ? 'chains' : 'hooks';
  if (o[key] === undefined) return SET_DEFAULTS[type].chains;
  return c.stringList(o[key], [...path, key], { nonEmpty: false });
}

function familiesOf(
  type: 'ip' | 'ipv4' | 'ipv6',
  version: 'ip' | 'ipv4' | 'ipv6' | undefined,
): ('ipv4' | 'ipv6')[] {
  const all = (['ipv4', 'ipv6'] as const).filter((f) => type === 'ip' || type === f);
  return version === undefined || version === 'ip' ? all : all.filter((f) => f === version);
}

function template(c: Checker, path: Path, text: string, ctx: ActionContext): Template {
  const declared = new Set(declaredNames(ctx.scope));
  if (ctx.scope.none) {
    for (const name of new Set([...text.matchAll(/<(\w+)>/g)].map((m) => m[1]!)))
      c.fail(
        path,
        `<${name}> names no pattern: this configuration declares none; declare it under "patterns" (for an address: patterns: {${name}: {type: ip}})`,
      );
  }
  for (const name of slotNames(text, declared)) {
    if (ctx.captured !== null && !ctx.captured.has(name))
      c.fail(path, `<${name}> is a pattern that this filter's regexes do not capture`);
  }
  return compileTemplate(
    text,
    ctx.patterns.map((p) => p.name),
  );
}
