// The subset of Markdown the README is written in, read into blocks: headings, paragraphs,
// fenced code, bullet and numbered lists, pipe tables. Receives Markdown text; sends blocks
// whose text is still inline Markdown, for a renderer (man.ts) to format.

export type Block =
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'code'; readonly lines: readonly string[] }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly items: readonly string[] }
  | {
      readonly kind: 'table';
      readonly header: readonly string[];
      readonly rows: readonly (readonly string[])[];
    };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;
const ITEM = /^\s*([-*+]|\d+[.)])\s+(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

/** The body of the section under `## heading` (up to the next heading of its level or above). */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => HEADING.exec(l)?.[2] === heading);
  if (start < 0) throw new Error(`cannot find the section "${heading}" in the README`);
  const level = HEADING.exec(lines[start]!)![1]!.length;
  let end = start + 1;
  let fenced = false;
  for (; end < lines.length; end++) {
    const line = lines[end]!;
    if (FENCE.test(line)) fenced = !fenced;
    const h = fenced ? null : HEADING.exec(line);
    if (h && h[1]!.length <= level) break;
  }
  return lines.slice(start + 1, end).join('\n');
}

/** The cells of a table row: split on `|` except `\|`, which stands for a `|` in a cell. */
export function cells(row: string): string[] {
  const trimmed = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

function isTableStart(lines: readonly string[], i: number): boolean {
  return lines[i]!.trimStart().startsWith('|') && TABLE_RULE.test(lines[i + 1] ?? '');
}

/** Where the paragraph starting at `i` ends: a blank line or the start of another block. */
function paragraphEnd(lines: readonly string[], i: number): number {
  let j = i + 1;
  while (j < lines.length) {
    const line = lines[j]!;
    if (line.trim() === '' || HEADING.test(line) || FENCE.test(line) || ITEM.test(line)) break;
    if (isTableStart(lines, j)) break;
    j++;
  }
  return j;
}

function readCode(lines: readonly string[], i: number): [Block, number] {
  const fence = FENCE.exec(lines[i]!)![1]!;
  let j = i + 1;
  while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) j++;
  return [{ kind: 'code', lines: lines.slice(i + 1, j) }, j + 1];
}

function readTable(lines: readonly string[], i: number): [Block, number] {
  const header = cells(lines[i]!);
  let j = i + 2;
  const rows: string[][] = [];
  while (j < lines.length && lines[j]!.trimStart().startsWith('|')) rows.push(cells(lines[j++]!));
  return [{ kind: 'table', header, rows }, j];
}

/** A list: items, each with its indented continuation lines joined. */
function readList(lines: readonly string[], i: number): [Block, number] {
  const ordered = /\d/.test(ITEM.exec(lines[i]!)![1]!);
  const items: string[] = [];
  let j = i;
  while (j < lines.length) {
    const line = lines[j]!;
    const item = ITEM.exec(line);
    if (item) items.push(item[2]!);
    else if (/^\s+\S/.test(line) && items.length > 0) items[items.length - 1] += ` ${line.trim()}`;
    else break;
    j++;
  }
  return [{ kind: 'list', ordered, items }, j];
}

/** The blocks of a Markdown text, in order. */
export function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const heading = HEADING.exec(line);
    let next: [Block, number] | undefined;
    if (line.trim() === '') i++;
    else if (heading) {
      out.push({ kind: 'heading', level: heading[1]!.length, text: heading[2]! });
      i++;
    } else if (FENCE.test(line)) next = readCode(lines, i);
    else if (isTableStart(lines, i)) next = readTable(lines, i);
    else if (ITEM.test(line)) next = readList(lines, i);
    else {
      const end = paragraphEnd(lines, i);
      const text = lines.slice(i, end).map((l) => l.trim());
      next = [{ kind: 'paragraph', text: text.join(' ') }, end];
    }
    if (next !== undefined) {
      out.push(next[0]);
      i = next[1];
    }
  }
  return out;
}
