// Finds the files a Jsonnet source imports: each `import`, `importstr` and `importbin` and
// the path after it, which Jsonnet requires to be a literal string. Receives a source's
// text; sends each import's kind, path and offset. Comments, strings and text blocks are
// skipped as Jsonnet's lexer skips them, so that "import" inside them is not an import. A
// source this misreads is not refused: libjsonnet still reads it, and reports its errors.

export type ImportKind = 'import' | 'importstr' | 'importbin';

export interface Import {
  readonly kind: ImportKind;
  readonly path: string;
  /** Where the keyword is, in the source. */
  readonly offset: number;
}

const WORD = /[A-Za-z0-9_]+/y;
const KINDS: ReadonlySet<string> = new Set(['import', 'importstr', 'importbin']);
const ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function importsOf(source: string): Import[] {
  const found: Import[] = [];
  let keyword: { kind: ImportKind; offset: number } | undefined;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || source.startsWith('//', i)) {
      i = lineEnd(source, i);
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === '"' || c === "'" || (c === '@' && /["']/.test(source[i + 1] ?? ''))) {
      const string = c === '@' ? verbatim(source, i + 1) : quoted(source, i);
      if (keyword !== undefined) found.push({ ...keyword, path: string.value });
      keyword = undefined;
      i = string.end;
    } else if (source.startsWith('|||', i)) {
      keyword = undefined;
      i = textBlockEnd(source, i + 3);
    } else if (/[A-Za-z_]/.test(c)) {
      WORD.lastIndex = i;
      const word = WORD.exec(source)![0];
      keyword = KINDS.has(word) ? { kind: word as ImportKind, offset: i } : undefined;
      i += word.length;
    } else {
      keyword = undefined;
      i++;
    }
  }
  return found;
}

function lineEnd(source: string, from: number): number {
  const end = source.indexOf('\n', from);
  return end < 0 ? source.length : end + 1;
}

/** A '…' or "…" string with JSON-like escapes, from its opening quote. */
function quoted(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = '';
  let i = start + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] !== '\\') {
      value += source[i++];
      continue;
    }
    const escaped = source[i + 1] ?? '';
    if (escaped === 'u') {
      value += String.fromCharCode(Number.parseInt(source.slice(i + 2, i + 6), 16) || 0);
      i += 6;
    } else {
      value += ESCAPES[escaped] ?? escaped;
      i += 2;
    }
  }
  return { value, end: i + 1 };
}

/** An @'…' or @"…" string, in which a doubled quote stands for one, from its opening quote. */
function verbatim(source: string, start: number): { value: string; end: number } {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  for (;;) {
    const close = source.indexOf(quote, i);
    if (close < 0) return { value: value + source.slice(i), end: source.length };
    value += source.slice(i, close);
    if (source[close + 1] !== quote) return { value, end: close + 1 };
    value += quote;
    i = close + 2;
  }
}

/**
 * The end of a text block, from after its opening `|||`: the block's lines start with the
 * indentation of its first line (or are empty); the first line that does not closes it with
 * `|||` after less indentation.
 */
function textBlockEnd(source: string, from: number): number {
  let i = lineEnd(source, from);
  while (source[i] === '\n') i++;
  const indent = /^[ \t]*/.exec(source.slice(i, i + 1024))![0];
  if (indent === '') return i;
  while (i < source.length) {
    if (source[i] === '\n') i++;
    else if (source.startsWith(indent, i)) i = lineEnd(source, i);
    else break;
  }
  const close = /^[ \t]*\|\|\|/.exec(source.slice(i, i + 1024));
  return close === null ? i : i + close[0].length;
}
