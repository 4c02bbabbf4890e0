// The messages between the daemon and its clients on the control socket, and their framing:
// one JSON object per line, each carrying the protocol version. Shared by daemon/ and
// client/, which import nothing else from each other. What the CLI prints from a report is
// documented in docs/show-format.md; the messages here are internal to one riposte version.

import { join } from 'node:path';
import { ProtocolError } from './lib/errors.js';

export const PROTOCOL_VERSION = 1;
/** Longest request line accepted; a longer one gets an error reply and the connection closes. */
export const MAX_REQUEST = 64 * 1024;

/** STREAM or STREAM.FILTER, from `-l`. */
export interface Limit {
  readonly stream: string;
  readonly filter?: string;
}

/** NAME=REGEX: keep the matches whose pattern NAME has a value that REGEX matches whole. */
export type Selector = readonly [name: string, regex: string];

export type Request =
  | {
      readonly v: 1;
      readonly type: 'show';
      readonly limit?: Limit;
      readonly selectors: readonly Selector[];
      /** Also the lines of each match's triggers in effect and count. */
      readonly lines?: boolean;
    }
  | {
      readonly v: 1;
      readonly type: 'flush';
      readonly limit?: Limit;
      readonly selectors: readonly Selector[];
    }
  | {
      readonly v: 1;
      readonly type: 'trigger';
      readonly stream: string;
      readonly filter: string;
      readonly values: Readonly<Record<string, string>>;
    }
  | { readonly v: 1; readonly type: 'status' }
  | { readonly v: 1; readonly type: 'reload' }
  /** Triggers the filter given (or the only one whose match is an address) for an address. */
  | { readonly v: 1; readonly type: 'ban'; readonly address: string; readonly limit?: Limit }
  /** Flushes every match holding an address (or overlapping a network), in every filter. */
  | { readonly v: 1; readonly type: 'unban'; readonly address: string }
  | { readonly v: 1; readonly type: 'why'; readonly address: string };

/** Matches and one number each, as two lists of the same length (cheap to encode by the 100k). */
export interface Column {
  readonly match: readonly string[];
  readonly value: readonly number[];
}

/**
 * One filter's part of a `show` or `flush` answer. A match is named by its value, or by
 * "name=value …" in pattern order when the filter has several patterns. Only filters with
 * something to report are sent, in configuration order.
 */
export interface FilterReport {
  readonly stream: string;
  readonly filter: string;
  /** Matches still counting towards `retry`: value = their number of recent matches. */
  readonly counts: Column;
  /** Per action: matches with that action pending (for flush: just run), value = due time in ms. */
  readonly actions: Readonly<Record<string, Column>>;
  /** Triggers in effect (for flush: just flushed): matches, value = the time each fired. */
  readonly triggers: Column;
  /** Matches whose trigger holds a ban with no end (for flush: just lifted). */
  readonly permanent: readonly string[];
  /** When asked: per match, the lines of its triggers in effect, then those of its count. */
  readonly lines?: Readonly<Record<string, readonly string[]>>;
}

/** What `ban` did, as the scheduler says (see Outcome in daemon/scheduler.ts). */
export interface Banned {
  readonly stream: string;
  readonly filter: string;
  /** The value banned: the address, or its network for a masked pattern. */
  readonly match: string;
  readonly outcome: 'triggered' | 'extended' | 'ignored' | 'held';
}

/** A trigger in effect or in the history, for `why`. */
export interface WhyTrigger {
  /** STREAM.FILTER */
  readonly filter: string;
  readonly match: string;
  /** When it fired, in ms. */
  readonly time: number;
  /** In effect: its pending actions and their due times. */
  readonly pending?: Readonly<Record<string, number>>;
  /** In effect with no end: a ban without an unban, until `unban` or `flush`. */
  readonly permanent?: boolean;
  /** Over: when, and how (done, flushed, replaced). */
  readonly ended?: number;
  readonly how?: string;
  readonly lines: readonly string[];
}

export interface Why {
  /** The address or network asked about, canonical. */
  readonly address: string;
  /** Start of the history window, in ms. */
  readonly since: number;
  /** Triggers whose match holds the address, in effect or ended since then, by time fired. */
  readonly triggers: readonly WhyTrigger[];
  /** Matches counting toward a trigger. */
  readonly counts: readonly {
    readonly filter: string;
    readonly match: string;
    readonly matches: number;
    readonly lines: readonly string[];
  }[];
  /** Filters whose patterns ignore the address, with the rule. */
  readonly ignored: readonly { readonly filter: string; readonly rule: string }[];
}

/** A stream that is not running, which `show` and `flush` warn about (behaviour §2.6). */
export interface StreamDown {
  readonly stream: string;
  readonly state: string;
  readonly lastExit?: string;
}

/** Ban sharing with the other hosts (`cluster` key): the engine's connection and the counters. */
export interface ClusterStatus {
  readonly node: string;
  /** connecting, connected, disconnected, refused (credentials) or closed. */
  readonly state: string;
  readonly reason?: string;
  /** When the state last changed, ms since the epoch. */
  readonly since: number;
  /** Lines shared by this host that the engine has not acknowledged yet. */
  readonly outbox: number;
  readonly shared: number;
  readonly published: number;
  readonly failed: number;
  readonly expired: number;
  readonly received: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly refused: number;
  /** Messages of the log not yet delivered here, and how long the last one waited (ms). */
  readonly lag: { readonly messages: number; readonly ms: number };
}

export interface Status {
  readonly pid: number;
  readonly version: string;
  readonly streams: Record<
    string,
    {
      state: string;
      restarts: number;
      bytes: number;
      dropped: number;
      /** Lines read, when they are counted (file and journal streams, or with `metrics`). */
      lines?: number;
      /** When the last line was read, ISO 8601. */
      lastLine?: string;
      lastStderr?: string;
      /** Lines written while riposte was not reading, read at start (file and journal streams). */
      caughtUp?: number;
      lastExit?: string;
    }
  >;
  readonly matches: number;
  readonly pending: number;
  /** Megabytes. */
  readonly memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** Actions of every type; commands run, wait and time out, the other types do not. */
  readonly actions: {
    started: number;
    failed: number;
    timedOut: number;
    running: number;
    waiting: number;
    byType: { cmd: number; nftables: number; ipset: number; virtual: number };
  };
  readonly cluster?: ClusterStatus;
}

/** What a reload did: applied the configuration read again, or kept the running one. */
export interface ReloadReport {
  /** The configuration that was read (the daemon's -c path). */
  readonly config: string;
  readonly applied: boolean;
  /** Why it was not applied: every error of the configuration, or what could not be done. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** What changed, one line each ("stream nginx started"); empty when nothing did. */
  readonly changes: readonly string[];
}

export type Response =
  | {
      readonly v: 1;
      readonly ok: true;
      readonly report: readonly FilterReport[];
      readonly down: readonly StreamDown[];
    }
  | { readonly v: 1; readonly ok: true; readonly triggered: string }
  | { readonly v: 1; readonly ok: true; readonly status: Status }
  | { readonly v: 1; readonly ok: true; readonly banned: Banned }
  | { readonly v: 1; readonly ok: true; readonly why: Why }
  | { readonly v: 1; readonly ok: true; readonly reload: ReloadReport }
  | { readonly v: 1; readonly ok: false; readonly error: string };

/**
 * The socket both sides use unless -s says otherwise: /run/riposte/riposte.sock for root;
 * for another user $XDG_RUNTIME_DIR/riposte/riposte.sock, or /tmp/riposte-UID/riposte.sock
 * when XDG_RUNTIME_DIR is unset.
 */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.();
  if (uid === 0) return '/run/riposte/riposte.sock';
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '') return join(runtime, 'riposte', 'riposte.sock');
  return join('/tmp', `riposte-${uid ?? 'user'}`, 'riposte.sock');
}

export function encode(message: Request | Response): string {
  return `${JSON.stringify(message)}\n`;
}

/** Reads and checks one request line; throws ProtocolError with the reason. */
export function decodeRequest(line: string): Request {
  const r = objectOf(line, 'request');
  if (r['v'] !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `unsupported protocol version ${JSON.stringify(r['v']) ?? 'none'}: this daemon speaks version ${PROTOCOL_VERSION}; use the riposte client of the same version`,
    );
  }
  switch (r['type']) {
    case 'show':
      return {
        v: 1,
        type: 'show',
        ...limitOf(r['limit']),
        selectors: selectorsOf(r['selectors']),
        ...(r['lines'] === true ? { lines: true } : {}),
      };
    case 'flush':
      return {
        v: 1,
        type: 'flush',
        ...limitOf(r['limit']),
        selectors: selectorsOf(r['selectors']),
      };
    case 'ban':
      return { v: 1, type: 'ban', address: text(r['address'], 'address'), ...limitOf(r['limit']) };
    case 'unban':
    case 'why':
      return { v: 1, type: r['type'], address: text(r['address'], 'address') };
    case 'trigger':
      return {
        v: 1,
        type: 'trigger',
        stream: text(r['stream'], 'stream'),
        filter: text(r['filter'], 'filter'),
        values: valuesOf(r['values']),
      };
    case 'status':
    case 'reload':
      return { v: 1, type: r['type'] };
    default:
      throw new ProtocolError(
        `unknown request type ${JSON.stringify(r['type']) ?? 'none'}: expected show, flush, trigger, status, reload, ban, unban or why`,
      );
  }
}

export function decodeResponse(line: string): Response {
  const r = objectOf(line, 'response from the daemon');
  if (r['v'] !== PROTOCOL_VERSION || typeof r['ok'] !== 'boolean') {
    throw new ProtocolError(
      'malformed response from the daemon: is it a riposte daemon of the same version?',
    );
  }
  return r as unknown as Response;
}

function objectOf(line: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`malformed ${what}: not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`malformed ${what}: not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new ProtocolError(`malformed request: "${what}" must be a string`);
  return value;
}

function limitOf(value: unknown): { limit?: Limit } {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ProtocolError('malformed request: "limit" must be {stream, filter?}');
  const l = value as Record<string, unknown>;
  const stream = text(l['stream'], 'limit.stream');
  return {
    limit:
      l['filter'] === undefined
        ? { stream }
        : { stream, filter: text(l['filter'], 'limit.filter') },
  };
}

function selectorsOf(value: unknown): Selector[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new ProtocolError('malformed request: "selectors" must be a list');
  return value.map((s: unknown) => {
    if (!Array.isArray(s) || s.length !== 2)
      throw new ProtocolError('malformed request: a selector is [name, regex]');
    return [text(s[0], 'selector name'), text(s[1], 'selector regex')] as const;
  });
}

function valuesOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('malformed request: "values" must be a map of pattern names to values');
  }
  const values: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value)) values[k] = text(v, `values.${k}`);
  return values;
}
