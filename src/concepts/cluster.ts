// The `cluster` key: this host's name among its peers and how it reaches the engine that
// shares bans between them (NATS JetStream). Receives the raw map; sends a frozen Cluster.
// Secrets are named here, not read: files are read by the daemon when it connects.

import { hostname } from 'node:os';
import { formatDuration } from '../lib/duration.js';
import type { Checker, Path } from './check.js';
import type { Stream } from './stream.js';

const KEYS = ['node', 'nats'];
const NATS_KEYS = [
  'servers',
  'user',
  'password',
  'password_file',
  'token',
  'token_file',
  'creds_file',
  'nkey_file',
  'tls',
  'subject',
  'stream',
  'max_age',
  'replicas',
];
const TLS_KEYS = ['ca_file', 'cert_file', 'key_file'];

/** A node name is one token of a NATS subject: what permissions bind a host's user to. */
const NODE = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export type Credentials =
  | { readonly type: 'none' }
  | {
      readonly type: 'password';
      readonly user: string;
      readonly password?: string;
      readonly passwordFile?: string;
    }
  | { readonly type: 'token'; readonly token?: string; readonly tokenFile?: string }
  | { readonly type: 'creds'; readonly file: string }
  | { readonly type: 'nkey'; readonly file: string };

export interface Tls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface Nats {
  readonly servers: readonly string[];
  readonly credentials: Credentials;
  readonly tls: Tls | undefined;
  /** Subjects are `<subject>.<node>`: one per host, so that permissions can bind a host to its own. */
  readonly subject: string;
  readonly stream: string;
  /** How long the engine keeps a message, in ms; undefined: computed from the filters. */
  readonly maxAge: number | undefined;
  readonly replicas: number;
}

export interface Cluster {
  readonly node: string;
  readonly nats: Nats;
}

export function buildCluster(c: Checker, raw: unknown): Cluster | undefined {
  const path = ['cluster'];
  const map = c.map(raw, path, KEYS);
  if (map === undefined) return undefined;
  const node = readNode(c, map['node']);
  if (map['nats'] === undefined) return c.fail(path, 'missing key "nats"');
  const nats = buildNats(c, [...path, 'nats'], map['nats']);
  if (node === undefined || nats === undefined) return undefined;
  return Object.freeze({ node, nats });
}

function readNode(c: Checker, raw: unknown): string | undefined {
  const path = ['cluster', 'node'];
  if (raw === undefined) {
    const name = hostname().split('.')[0] ?? '';
    if (NODE.test(name)) return name;
    return c.fail(
      ['cluster'],
      `the host name "${hostname()}" is not a valid node name: set "node" (letters, digits, "_" and "-")`,
    );
  }
  const node = c.string(raw, path);
  if (node !== undefined && !NODE.test(node))
    return c.fail(path, 'a node name is 1 to 64 letters, digits, "_" or "-"');
  return node;
}

function buildNats(c: Checker, path: Path, raw: unknown): Nats | undefined {
  const map = c.map(raw, path, NATS_KEYS);
  if (map === undefined) return undefined;
  const errors = c.errors.length;
  if (map['servers'] === undefined) return c.fail(path, 'missing key "servers"');
  const servers = c.stringList(map['servers'], [...path, 'servers'], { nonEmpty: true });
  const credentials = readCredentials(c, path, map);
  const tls = map['tls'] === undefined ? undefined : readTls(c, [...path, 'tls'], map['tls']);
  const subject = readName(c, [...path, 'subject'], map['subject'], 'riposte.bans', SUBJECT);
  const stream = readName(c, [...path, 'stream'], map['stream'], 'RIPOSTE_BANS', STREAM_NAME);
  const maxAge =
    map['max_age'] === undefined ? undefined : c.duration(map['max_age'], [...path, 'max_age']);
  const replicas =
    map['replicas'] === undefined ? 1 : c.integer(map['replicas'], [...path, 'replicas'], 1);
  if (
    servers === undefined ||
    credentials === undefined ||
    subject === undefined ||
    stream === undefined ||
    replicas === undefined ||
    c.errors.length > errors
  )
    return undefined;
  return { servers, credentials, tls, subject, stream, maxAge, replicas };
}

function readName(
  c: Checker,
  path: Path,
  raw: unknown,
  fallback: string,
  shape: RegExp,
): string | undefined {
  if (raw === undefined) return fallback;
  const text = c.string(raw, path);
  if (text !== undefined && !shape.test(text))
    return c.fail(path, `"${text}" is not valid here: letters, digits, "_" and "-" only`);
  return text;
}

/** One way to authenticate at most: the server would take one and silently ignore the others. */
function readCredentials(
  c: Checker,
  path: Path,
  map: Record<string, unknown>,
): Credentials | undefined {
  const str = (key: string): string | undefined =>
    map[key] === undefined ? undefined : c.string(map[key], [...path, key]);
  const ways = [
    ['user', 'password', 'password_file'],
    ['token', 'token_file'],
    ['creds_file'],
    ['nkey_file'],
  ].filter((keys) => keys.some((k) => map[k] !== undefined));
  if (ways.length > 1) {
    const named = ways.map((keys) => `"${keys.find((k) => map[k] !== undefined)}"`).join(' and ');
    return c.fail(path, `${named} are two ways to authenticate: keep one`);
  }
  const user = str('user');
  const password = str('password');
  const passwordFile = str('password_file');
  const token = str('token');
  const tokenFile = str('token_file');
  const creds = str('creds_file');
  const nkey = str('nkey_file');
  if (user !== undefined || password !== undefined || passwordFile !== undefined) {
    if (user === undefined) return c.fail(path, 'missing key "user" beside the password');
    if ((password === undefined) === (passwordFile === undefined))
      return c.fail(path, `user "${user}" needs one of "password" or "password_file"`);
    return {
      type: 'password',
      user,
      ...(password === undefined ? {} : { password }),
      ...(passwordFile === undefined ? {} : { passwordFile }),
    };
  }
  if (token !== undefined || tokenFile !== undefined) {
    if (token !== undefined && tokenFile !== undefined)
      return c.fail(path, 'one of "token" or "token_file", not both');
    return {
      type: 'token',
      ...(token === undefined ? {} : { token }),
      ...(tokenFile === undefined ? {} : { tokenFile }),
    };
  }
  if (creds !== undefined) return { type: 'creds', file: creds };
  if (nkey !== undefined) return { type: 'nkey', file: nkey };
  return { type: 'none' };
}

function readTls(c: Checker, path: Path, raw: unknown): Tls | undefined {
  const map = c.map(raw, path, TLS_KEYS);
  if (map === undefined) return undefined;
  const file = (key: string) =>
    map[key] === undefined ? undefined : c.string(map[key], [...path, key]);
  const caFile = file('ca_file');
  const certFile = file('cert_file');
  const keyFile = file('key_file');
  if ((certFile === undefined) !== (keyFile === undefined))
    return c.fail(path, 'a client certificate needs both "cert_file" and "key_file"');
  return {
    ...(caFile === undefined ? {} : { caFile }),
    ...(certFile === undefined ? {} : { certFile }),
    ...(keyFile === undefined ? {} : { keyFile }),
  };
}

/** Secrets written in the configuration itself are not printed back. */
const REDACTED = '<redacted>';

function normalCredentials(k: Credentials): Record<string, unknown> {
  switch (k.type) {
    case 'password':
      return {
        user: k.user,
        ...(k.password === undefined ? {} : { password: REDACTED }),
        ...(k.passwordFile === undefined ? {} : { password_file: k.passwordFile }),
      };
    case 'token':
      return {
        ...(k.token === undefined ? {} : { token: REDACTED }),
        ...(k.tokenFile === undefined ? {} : { token_file: k.tokenFile }),
      };
    case 'creds':
      return { creds_file: k.file };
    case 'nkey':
      return { nkey_file: k.file };
    case 'none':
      return {};
  }
}

/** The `cluster` key as `test-config` prints it, every default written, secrets redacted. */
export function normalCluster(c: Cluster): Record<string, unknown> {
  const n = c.nats;
  const tls =
    n.tls === undefined
      ? {}
      : {
          tls: {
            ...(n.tls.caFile === undefined ? {} : { ca_file: n.tls.caFile }),
            ...(n.tls.certFile === undefined ? {} : { cert_file: n.tls.certFile }),
            ...(n.tls.keyFile === undefined ? {} : { key_file: n.tls.keyFile }),
          },
        };
  return {
    node: c.node,
    nats: {
      servers: n.servers,
      ...normalCredentials(n.credentials),
      ...tls,
      subject: n.subject,
      stream: n.stream,
      ...(n.maxAge === undefined ? {} : { max_age: formatDuration(n.maxAge) }),
      replicas: n.replicas,
    },
  };
}

/**
 * What of ban sharing is fixed at start-up: the `cluster` key, and whether a stream receives
 * and an action shares. A reload that changes it is refused.
 */
export function clusterUse(config: {
  readonly cluster: Cluster | undefined;
  readonly streams: readonly Stream[];
}): string {
  const streams = config.streams;
  return JSON.stringify({
    key: config.cluster === undefined ? null : normalCluster(config.cluster),
    receives: streams.some((s) => s.type === 'cluster'),
    shares: streams.some((s) => s.filters.some((f) => f.actions.some((a) => a.type === 'cluster'))),
  });
}
