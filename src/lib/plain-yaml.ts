// Plain data (maps, lists, strings, numbers, booleans, null) printed as block YAML, in the
// layout the `yaml` package gives it (short lists of scalars in flow style), fast enough for
// reports of 100k entries, where a generic YAML writer takes seconds. Receives a value; sends
// its text. Strings that YAML would read as something else are quoted as JSON, which is a
// valid YAML double-quoted scalar.

/** Lists of scalars printed on one line, `[ a, b ]`, while they are this narrow. */
const FLOW_WIDTH = 80;

export function plainYaml(value: unknown): string {
  const out: string[] = [];
  if (isMap(value) && Object.keys(value).length > 0) mapLines(value, '', out);
  else if (Array.isArray(value) && value.length > 0) listLines(value, '', out);
  else out.push(inline(value));
  return `${out.join('\n')}\n`;
}

type Plain = Record<string, unknown>;

function isMap(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapLines(map: Plain, indent: string, out: string[]): void {
  for (const [key, value] of Object.entries(map)) {
    const head = `${indent}${scalar(key)}:`;
    if (isMap(value) && Object.keys(value).length > 0) {
      out.push(head);
      mapLines(value, `${indent}  `, out);
    } else if (Array.isArray(value) && !isFlow(value)) {
      out.push(head);
      listLines(value, `${indent}  `, out);
    } else {
      out.push(`${head} ${inline(value)}`);
    }
  }
}

function listLines(list: readonly unknown[], indent: string, out: string[]): void {
  for (const item of list) {
    if (isMap(item) && Object.keys(item).length > 0) {
      // The first entry shares the dash's line: "- key: value".
      const start = out.length;
      mapLines(item, `${indent}  `, out);
      out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
    } else if (Array.isArray(item) && !isFlow(item)) {
      out.push(`${indent}-`);
      listLines(item, `${indent}  `, out);
    } else {
      out.push(`${indent}- ${inline(item)}`);
    }
  }
}

/** Empty maps and lists, short lists of scalars, and scalars: what fits after "key: ". */
function inline(value: unknown): string {
  if (isMap(value)) return '{}';
  if (Array.isArray(value))
    return value.length === 0 ? '[]' : `[ ${value.map((v) => scalar(v)).join(', ')} ]`;
  return scalar(value);
}

function isFlow(list: readonly unknown[]): boolean {
  let width = 0;
  for (const item of list) {
    if (typeof item === 'object' && item !== null) return list.length === 0;
    width += scalar(item).length + 2;
    if (width >= FLOW_WIDTH) return false;
  }
  return true;
}

function scalar(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'null' : String(value);
  return value === '' || NOT_PLAIN.test(value) || NOT_STRING.test(value)
    ? JSON.stringify(value)
    : value;
}

/**
 * Words and numbers that YAML 1.2 (or 1.1, still common) reads as something else than a
 * string, and the merge key "<<".
 */
const NOT_STRING =
  /^(?:~|<<|=|null|Null|NULL|true|True|TRUE|false|False|FALSE|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F_]+|0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
/** What a plain scalar must not hold: indicators first, ": ", " #", controls, edges, commas. */
const NOT_PLAIN =
  /^[\s,[\]{}#&*!|>'"%@`]|^[-?:](?:\s|$)|:(?:\s|$)|\s#|\s$|[,[\]{}]|[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
