// The messages between the daemon and its clients on the control socket, and their framing:
// one JSON object per line, each carrying the protocol version. Shared by daemon/ and
// client/, which import nothing else from each other.

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
  | { readonly v: 1; readonly type: 'status' };

/** What `show` and `flush` print: stream → filter → match → counts and pending actions. */
export type MatchReport = {
  /** Recent matches still counting towards `retry`; absent when 0. */
  matches?: number;
  /** Pending actions (for `flush`: the actions just run), each with its due times. */
  actions?: Record<string, string[]>;
};
export type Report = Record<string, Record<string, Record<string, MatchReport>>>;

export interface Status {
  readonly pid: number;
  readonly version: string;
  readonly streams: Record<
    string,
    { state: string; restarts: number; lines: number; lastExit?: string }
  >;
  readonly matches: number;
  readonly pending: number;
  readonly actions: {
    started: number;
    failed: number;
    timedOut: number;
    running: number;
    waiting: number;
  };
}

export type Response =
  | { readonly v: 1; readonly ok: true; readonly report: Report }
  | { readonly v: 1; readonly ok: true; readonly triggered: string }
  | { readonly v: 1; readonly ok: true; readonly status: Status }
  | { readonly v: 1; readonly ok: false; readonly error: string };

/** The socket both sides use unless -s says otherwise. */
export function defaultSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return '/run/riposte/riposte.sock';
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '') return join(runtime, 'riposte', 'riposte.sock');
  return join('/tmp', `riposte-${process.getuid?.() ?? 'user'}`, 'riposte.sock');
}

export function encode(message: Request | Response): string {
  return `${JSON.stringify(message)}\n`;
}

/** Reads and checks one request line; throws ProtocolError with the reason. */
export function decodeRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError('malformed request: not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('malformed request: not an object');
  }
  const r = value as Record<string, unknown>;
  if (r['v'] !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `unsupported protocol version ${JSON.stringify(r['v'])}: this daemon speaks version ${PROTOCOL_VERSION}; use the riposte client of the same version`,
    );
  }
  switch (r['type']) {
    case 'show':
    case 'flush':
      return {
        v: 1,
        type: r['type'],
        ...limitOf(r['limit']),
        selectors: selectorsOf(r['selectors']),
      };
    case 'trigger':
      return {
        v: 1,
        type: 'trigger',
        stream: text(r['stream'], 'stream'),
        filter: text(r['filter'], 'filter'),
        values: valuesOf(r['values']),
      };
    case 'status':
      return { v: 1, type: 'status' };
    default:
      throw new ProtocolError(`unknown request type ${JSON.stringify(r['type'])}`);
  }
}

export function decodeResponse(line: string): Response {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError('malformed response from the daemon: not JSON');
  }
  const r = value as Partial<Record<string, unknown>> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r['v'] !== PROTOCOL_VERSION ||
    typeof r['ok'] !== 'boolean'
  ) {
    throw new ProtocolError(
      'malformed response from the daemon: is it a riposte daemon of the same version?',
    );
  }
  return value as Response;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string')
    throw new ProtocolError(`malformed request: "${what}" must be a string`);
  return value;
}

function limitOf(value: unknown): { limit?: Limit } {
  if (value === undefined || value === null) return {};
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
  for (const [k, v] of Object.entries(value)) text(v, `values.${k}`);
  return value as Record<string, string>;
}
