// Reads YAML and JSON configuration files; the only user of the `yaml` package. Receives a
// file's text; sends a Document whose positions come from the YAML parser, and errors with
// line and column. JSON is parsed strictly first, then positioned through the YAML parser
// (JSON is a subset of YAML 1.2).

import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLError,
  Document as YamlDocument,
} from 'yaml';
import { ConfigError } from '../lib/errors.js';
import type { Document, Key } from './document.js';

export function readYaml(file: string, text: string): Document {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = first.linePos?.[0] ?? { line: 1, col: 1 };
    throw new ConfigError(`${file}:${line}:${col}`, `cannot parse YAML: ${reasonOf(first, text)}`);
  }
  const value = plainValue(doc, lines, file);
  return { file, value, locate: (path, what) => locateIn(file, doc.contents, lines, path, what) };
}

/** The parser's message in the words of a configuration, without its copy of the text. */
function reasonOf(error: YAMLError, text: string): string {
  if (error.code === 'MULTIPLE_DOCS') {
    return 'a configuration file holds one YAML document, this one has several ("---")';
  }
  if (error.code === 'DUPLICATE_KEY') {
    const key = KEY.exec(text.slice(error.pos[0]))?.[1];
    if (key !== undefined)
      return `duplicate key ${key.startsWith('"') ? key : JSON.stringify(key)}`;
  }
  return error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n]+?)\s*:/;

/** The document as plain data; aliases are resolved here, so their errors are raised here. */
function plainValue(doc: YamlDocument.Parsed, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let offset: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined) return undefined;
        offset = node.range?.[0];
        return visit.BREAK;
      },
    });
    const { line, col } = lines.linePos(offset ?? 0);
    throw new ConfigError(`${file}:${line}:${col}`, `cannot parse YAML: ${error.message}`);
  }
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
  const positioned = positionJson(file, text);
  const locate = (path: readonly Key[], what: 'key' | 'value'): string =>
    positioned?.locate(path, what) ?? file;
  return { file, value, locate };
}

/**
 * Positions for a valid JSON text, from the YAML parser. A key written twice in one map is
 * an error, as in YAML and Jsonnet, rather than JSON.parse's silent "last one wins".
 */
function positionJson(file: string, text: string): Document | undefined {
  try {
    return readYaml(file, text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.reason.startsWith('cannot parse YAML: duplicate key')) {
      throw new ConfigError(error.place, error.reason.replace('YAML', 'JSON'));
    }
    return undefined;
  }
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
