// Reads YAML and JSON configuration files; the only user of the `yaml` package. Receives a
// file's text; sends a Document whose positions come from the YAML parser, and errors with
// line and column. JSON is parsed strictly first, then positioned through the YAML parser
// (JSON is a subset of YAML 1.2).

import {
  Document as YamlDocument,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import { ConfigError } from '../lib/errors.js';
import type { Document, Key } from './document.js';

export function readYaml(file: string, text: string): Document {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = first.linePos?.[0] ?? { line: 1, col: 1 };
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${file}:${line}:${col}`, `cannot parse YAML: ${reason}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 10_000 });
  return { file, value, locate: (path, what) => locateIn(file, doc.contents, lines, path, what) };
}

export function readJson(file: string, text: string): Document {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const { line, col } = positionOf(text, at === null ? text.length : Number(at[1]));
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/ \(line.*$/, '');
    throw new ConfigError(`${file}:${line}:${col}`, `cannot parse JSON: ${reason}`);
  }
  let positioned: Document | undefined;
  const locate = (path: readonly Key[], what: 'key' | 'value'): string => {
    positioned ??= readYaml(file, text);
    return positioned.locate(path, what);
  };
  return { file, value, locate };
}

/** Prints a plain value as YAML, for `test-config` and `show`. */
export function toYaml(value: unknown): string {
  const doc = new YamlDocument(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Seq(_, node) {
      const scalars = node.items.filter((item) => isScalar(item));
      const width = scalars.reduce((n: number, item) => n + String(item.value).length + 2, 0);
      if (scalars.length === node.items.length && width < 80) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function locateIn(
  file: string,
  root: unknown,
  lines: LineCounter,
  path: readonly Key[],
  what: 'key' | 'value',
): string {
  let node = root as Node | null;
  let offset = node?.range?.[0];
  for (const [i, key] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (pair === undefined) break;
      const keyNode = pair.key as Node;
      node = pair.value as Node | null;
      offset =
        last && what === 'key' ? keyNode.range?.[0] : (node?.range?.[0] ?? keyNode.range?.[0]);
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] as Node | null;
      if (node === undefined || node === null) break;
      offset = node.range?.[0];
    } else break;
  }
  if (offset === undefined) return file;
  const { line, col } = lines.linePos(offset);
  return `${file}:${line}:${col}`;
}

function positionOf(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}
