// The top-level `metrics` key: where the daemon serves its Prometheus metrics, a TCP address
// (`127.0.0.1:9100`, `[::1]:9100`, `localhost:9100`) or a unix socket path. Receives the raw
// map; sends a frozen MetricsConfig, refusing an address reachable from other machines unless
// `allow_remote: true` says it is meant.

import { isIP } from 'node:net';
import type { Checker, Path } from './check.js';

const KEYS = ['listen', 'allow_remote'];
const PATH: Path = ['metrics'];

export type MetricsListen =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export interface MetricsConfig {
  readonly listen: MetricsListen;
  /** `listen` as written, for `test-config` and the log. */
  readonly text: string;
  readonly allowRemote: boolean;
}

export function readMetrics(c: Checker, raw: unknown): MetricsConfig | null | undefined {
  if (raw === undefined || raw === null) return null;
  const map = c.map(raw, PATH, KEYS);
  if (map === undefined) return undefined;
  const allowRemote =
    map['allow_remote'] === undefined
      ? false
      : c.boolean(map['allow_remote'], [...PATH, 'allow_remote']);
  if (map['listen'] === undefined) return c.fail(PATH, 'missing key "listen"');
  const text = c.string(map['listen'], [...PATH, 'listen']);
  if (text === undefined || allowRemote === undefined) return undefined;
  const listen = parseListen(text);
  if (typeof listen === 'string') return c.fail([...PATH, 'listen'], listen);
  if (listen.kind === 'tcp' && !allowRemote && !isLoopback(listen.host)) {
    return c.fail(
      [...PATH, 'listen'],
      `${text} is not a loopback address: the metrics would be served to other machines; write allow_remote: true to mean it`,
    );
  }
  return Object.freeze({ listen, text, allowRemote });
}

/** `HOST:PORT`, `[IPv6]:PORT` or an absolute path; a string is the reason it is neither. */
export function parseListen(text: string): MetricsListen | string {
  if (text.startsWith('/')) return { kind: 'unix', path: text };
  const cannot = `cannot parse "${text}"`;
  const colon = text.lastIndexOf(':');
  if (colon < 0) return `${cannot}: expected HOST:PORT or an absolute unix socket path`;
  let host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)
    return `${cannot}: the port must be a number from 0 to 65535`;
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) return `${cannot}: "${host}" between brackets is not an IPv6 address`;
  } else if (host.includes(':')) {
    return `${cannot}: write an IPv6 address between brackets, as [${host}]:${port}`;
  }
  if (host === '')
    return `${cannot}: the host is missing (127.0.0.1:${port} serves this machine only)`;
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host))
    return `${cannot}: "${host}" is neither an address nor a host name`;
  return { kind: 'tcp', host, port: Number(port) };
}

/** Loopback addresses and `localhost`: any other name may resolve to an outside address. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
