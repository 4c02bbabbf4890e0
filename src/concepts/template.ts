// Strings with `<pattern>` slots, as in action commands and virtual actions' `send`.
// Receives the text and the filter's pattern names; sends a compiled template that renders
// with a match's values (one per pattern, in the filter's pattern order).

/** Literal text, or the index of a pattern value in a match. */
export type Template = readonly (string | number)[];

const SLOT = /<(\w+)>/g;

/** Compiles `text`; `<name>` of a pattern of `names` becomes a slot, other text stays literal. */
export function compileTemplate(text: string, names: readonly string[]): Template {
  const parts: (string | number)[] = [];
  let last = 0;
  for (const found of text.matchAll(SLOT)) {
    const index = names.indexOf(found[1]!);
    if (index < 0) continue;
    if (found.index > last) parts.push(text.slice(last, found.index));
    parts.push(index);
    last = found.index + found[0].length;
  }
  if (last < text.length || parts.length === 0) parts.push(text.slice(last));
  return parts;
}

/** The `<name>`s of `text` that are declared patterns, in order of appearance. */
export function slotNames(text: string, declared: ReadonlySet<string>): string[] {
  return [...text.matchAll(SLOT)].map((m) => m[1]!).filter((name) => declared.has(name));
}

export function renderTemplate(template: Template, values: readonly string[]): string {
  if (template.length === 1) {
    const only = template[0]!;
    return typeof only === 'number' ? values[only]! : only;
  }
  let text = '';
  for (const part of template) text += typeof part === 'number' ? values[part] : part;
  return text;
}
