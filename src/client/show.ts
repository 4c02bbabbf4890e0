// `riposte show` and `riposte flush`: ask the daemon for its counts and pending actions (or
// to run them now) and print them. Receives the -l limit and NAME=REGEX selectors; sends
// the report to stdout as YAML or JSON.

import { toYaml } from '../concepts/yaml.js';
import { UsageError } from '../lib/errors.js';
import type { Limit, Report, Selector } from '../protocol.js';
import { request } from './request.js';

export interface ShowOptions {
  readonly socket: string;
  readonly format: 'yaml' | 'json';
  readonly limit?: string;
  readonly selectors: readonly string[];
}

export async function show(kind: 'show' | 'flush', o: ShowOptions): Promise<number> {
  const limit = parseLimit(o.limit);
  const selectors = o.selectors.map(parseSelector);
  const response = await request(o.socket, {
    v: 1,
    type: kind,
    ...(limit === undefined ? {} : { limit }),
    selectors,
  });
  if (!('report' in response)) throw new UsageError('unexpected answer from the daemon');
  print(response.report, o.format);
  return 0;
}

export function print(report: Report, format: 'yaml' | 'json'): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(Object.keys(report).length === 0 ? '{}\n' : toYaml(report));
}

export function parseLimit(text: string | undefined): Limit | undefined {
  if (text === undefined) return undefined;
  const [stream = '', filter, extra] = text.split('.');
  if (stream === '' || filter === '' || extra !== undefined) {
    throw new UsageError(`-l ${text}: expected STREAM or STREAM.FILTER`);
  }
  return filter === undefined ? { stream } : { stream, filter };
}

export function parseSelector(text: string): Selector {
  const equal = text.indexOf('=');
  if (equal <= 0)
    throw new UsageError(
      `${JSON.stringify(text)}: expected NAME=REGEX, such as ip=192\\.0\\.2\\..*`,
    );
  return [text.slice(0, equal), text.slice(equal + 1)];
}
