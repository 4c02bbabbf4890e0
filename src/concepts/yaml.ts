// Reads YAML and JSON configuration files; the only user of the `yaml` package. Receives a
// file's text; sends a Document whose positions come from the YAML parser, and errors with
// line and column. JSON is parsed strictly first, then positioned through the YAML parser
// (JSON is a subset of YAML 1.2).

import {
  type Alias,
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  visit,
  type YAMLError,
  YAMLParseError,
  Document as YamlDocument,
} from 'yaml';
import { ConfigError } from '../lib/errors.js';
import {
  type Document,
  type Key,
  MAX_DEPTH,
  MAX_VALUES,
  plainCopy,
  shapeError,
  TOO_DEEP,
  TOO_MANY,
} from './document.js';

export function readYaml(file: string, text: string): Document {
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const doc = compose(text, lines, at);
  const first = doc.errors[0];
  if (first !== undefined)
    throw new ConfigError(at(first.pos[0]), `cannot parse YAML: ${reasonOf(first)}`);
  checkUniqueKeys(doc, text, at);
  checkShape(doc, at);
  const value = plainCopy(plainValue(doc, at));
  return {
    file,
    value,
    locate: (path, what) => locateIn(file, doc.contents, lines, path, what),
    redact: (message) => message,
  };
}

/**
 * The document, parsed as parseDocument() does, except that the parser is stopped as soon
 * as it holds more open collections than MAX_DEPTH: the parser's cost grows with nesting
 * and the composer that follows it is recursive.
 */
function compose(text: string, lines: LineCounter, at: (offset: number) => string) {
  const parser = new Parser(lines.addNewLine);
  lines.addNewLine(0);
  const tokens = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The stack also holds the document and the token being read.
    if (parser.stack.length > MAX_DEPTH + 2) {
      const deepest = parser.stack[MAX_DEPTH + 1] as { offset?: number };
      throw new ConfigError(at(deepest.offset ?? parser.offset), `cannot parse YAML: ${TOO_DEEP}`);
    }
  }
  for (const token of parser.end()) tokens.push(token);
  // Keys are checked by checkUniqueKeys(): the composer compares each key with every other.
  const composer = new Composer({ merge: true, uniqueKeys: false });
  let doc: YamlDocument.Parsed | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) doc = next;
    else {
      const range: [number, number] = [next.range[0], next.range[1]];
      doc.errors.push(new YAMLParseError(range, 'MULTIPLE_DOCS', 'several documents'));
      break;
    }
  }
  return doc!;
}

/** The parser's message in the words of a configuration, without its copy of the text. */
function reasonOf(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') {
    return 'a configuration file holds one YAML document, this one has several ("---")';
  }
  return error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * A key written twice in one map is an error, as the composer's `uniqueKeys` would say,
 * found with a set per map rather than by comparing each key with every other.
 */
function checkUniqueKeys(doc: YamlDocument.Parsed, text: string, at: (offset: number) => string) {
  visit(doc, {
    Map(_, map) {
      const keys = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (!keys.has(pair.key.value)) {
          keys.add(pair.key.value);
          continue;
        }
        const offset = pair.key.range?.[0] ?? 0;
        const written = KEY.exec(text.slice(offset, offset + 1024))?.[1] ?? String(pair.key.value);
        const key = written.startsWith('"') ? written : JSON.stringify(written);
        throw new ConfigError(at(offset), `cannot parse YAML: duplicate key ${key}`);
      }
      return undefined;
    },
  });
}

const KEY = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n]+?)\s*:/;

/** The document as plain data, once checkShape() has accepted it. */
function plainValue(doc: YamlDocument.Parsed, at: (offset: number) => string): unknown {
  try {
    // checkShape() bounds what aliases expand to, exactly and in linear time.
    return doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new ConfigError(at(0), `cannot parse YAML: ${error.message}`);
  }
}

type Shape = { height: number; size: number };

/**
 * Refuses a document whose value, once its aliases are expanded, would be nested more than
 * MAX_DEPTH deep or hold more than MAX_VALUES values (a chain of aliases nests without
 * limit, doubling ones grow exponentially), or would hold itself. Each node is measured
 * once, without recursion.
 */
function checkShape(doc: YamlDocument.Parsed, at: (offset: number) => string): void {
  const targets = aliasTargets(doc, at);
  const shapes = new Map<Node, Shape | 'open'>();
  const stack: { node: Node; expanded: boolean }[] = [];
  if (doc.contents !== null) stack.push({ node: doc.contents, expanded: false });
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { node } = next;
    const fail = (reason: string) => {
      throw new ConfigError(at(node.range?.[0] ?? 0), `cannot parse YAML: ${reason}`);
    };
    if (next.expanded) {
      const shape = measure(node, targets, shapes);
      if (shape.height > MAX_DEPTH) fail(TOO_DEEP);
      if (shape.size > MAX_VALUES) fail(`${TOO_MANY} (aliases expanded)`);
      shapes.set(node, shape);
      continue;
    }
    const seen = shapes.get(node);
    if (seen === 'open') fail('an alias refers to a node that holds it');
    if (seen !== undefined) continue;
    shapes.set(node, 'open');
    stack.push({ node, expanded: true });
    for (const child of children(node, targets)) stack.push({ node: child, expanded: false });
  }
}

/** The height and expanded size of a node whose children are measured. */
function measure(node: Node, targets: ReadonlyMap<Alias, Node>, shapes: Map<Node, Shape | 'open'>) {
  let height = 0;
  let size = 1;
  for (const child of children(node, targets)) {
    const shape = shapes.get(child) as Shape;
    height = Math.max(height, shape.height);
    size += shape.size;
  }
  if (isAlias(node)) return { height, size: size - 1 };
  return { height: isMap(node) || isSeq(node) ? height + 1 : height, size };
}

function children(node: Node, targets: ReadonlyMap<Alias, Node>): Node[] {
  if (isAlias(node)) {
    const target = targets.get(node);
    return target === undefined ? [] : [target];
  }
  if (isSeq(node)) return node.items.filter((item) => item !== null) as Node[];
  if (!isMap(node)) return [];
  const nodes: Node[] = [];
  for (const pair of node.items) {
    if (pair.key !== null && typeof pair.key === 'object') nodes.push(pair.key as Node);
    if (pair.value !== null && typeof pair.value === 'object') nodes.push(pair.value as Node);
  }
  return nodes;
}

/** Each alias and the node of its anchor: the last one set before it, in document order. */
function aliasTargets(doc: YamlDocument.Parsed, at: (offset: number) => string) {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target === undefined) {
          const why = `Unresolved alias (the anchor must be set before the alias): ${node.source}`;
          throw new ConfigError(at(node.range?.[0] ?? 0), `cannot parse YAML: ${why}`);
        }
        targets.set(node, target);
      } else if (node.anchor !== undefined) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

export function readJson(file: string, text: string): Document {
  const deep = deepOffset(text);
  if (deep !== undefined) {
    const { line, col } = positionOf(text, deep);
    throw new ConfigError(`${file}:${line}:${col}`, `cannot parse JSON: ${TOO_DEEP}`);
  }
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
  // Depth was checked on the text, with its place; what is left is the number of values.
  const misshapen = shapeError(value);
  if (misshapen !== undefined)
    throw new ConfigError(file, `cannot parse JSON: ${misshapen.reason}`);
  const positioned = positionJson(file, text);
  const locate = (path: readonly Key[], what: 'key' | 'value'): string =>
    positioned?.locate(path, what) ?? file;
  return { file, value: plainCopy(value), locate, redact: (message) => message };
}

/** Where the first map or list deeper than MAX_DEPTH opens, outside strings; JSON.parse is not asked. */
function deepOffset(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++)
        if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
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
