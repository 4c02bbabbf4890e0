import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plainYaml } from './plain-yaml.js';

const rows: readonly { name: string; value: unknown; yaml: string }[] = [
  {
    name: 'a map of scalars',
    value: { a: 1, b: 'x', c: null, d: true },
    yaml: 'a: 1\nb: x\nc: null\nd: true\n',
  },
  { name: 'a nested map', value: { a: { b: { c: 2 } } }, yaml: 'a:\n  b:\n    c: 2\n' },
  { name: 'empty maps and lists', value: { m: {}, l: [] }, yaml: 'm: {}\nl: []\n' },
  { name: 'a short list of scalars, in flow style', value: { l: ['a', 1] }, yaml: 'l: [ a, 1 ]\n' },
  {
    name: 'a list of scalars 80 characters wide or more, in block style',
    value: { l: ['x'.repeat(40), 'y'.repeat(38)] },
    yaml: `l:\n  - ${'x'.repeat(40)}\n  - ${'y'.repeat(38)}\n`,
  },
  {
    name: 'a list of maps, each first key on the dash’s line',
    value: { l: [{ a: 1, b: { c: 2 } }, { d: 3 }] },
    yaml: 'l:\n  - a: 1\n    b:\n      c: 2\n  - d: 3\n',
  },
  {
    name: 'a list of lists of maps',
    value: [[{ a: 1 }], []],
    yaml: '-\n  - a: 1\n- []\n',
  },
  { name: 'an empty top-level map', value: {}, yaml: '{}\n' },
  {
    name: 'strings YAML reads as something else, quoted',
    value: { t: 'true', num: '1.5', e: '', w: 'yes', q: 'null', n: 1 },
    yaml: 't: "true"\nnum: "1.5"\ne: ""\nw: "yes"\nq: "null"\n"n": 1\n',
  },
  {
    name: 'strings with indicators, quoted as JSON',
    value: { a: 'k: v', b: ' lead', c: 'x #y', d: '- x', e: '[x', f: 'a,b', g: 'two\nlines' },
    yaml: 'a: "k: v"\nb: " lead"\nc: "x #y"\nd: "- x"\ne: "[x"\nf: "a,b"\ng: "two\\nlines"\n',
  },
  {
    name: 'times, addresses and rules, plain',
    value: {
      t: '2024-06-10T10:00:00.000+00:00',
      v4: '192.0.2.1',
      v6: '2001:db8::1',
      r: 'patterns.ip.ignorecidr',
    },
    yaml: 't: 2024-06-10T10:00:00.000+00:00\nv4: 192.0.2.1\nv6: 2001:db8::1\nr: patterns.ip.ignorecidr\n',
  },
  { name: 'a key that needs quotes', value: { 'a: b': 1 }, yaml: '"a: b": 1\n' },
];

describe('plainYaml()', () => {
  for (const row of rows) {
    test(`plainYaml() prints ${row.name}`, () => {
      assert.equal(plainYaml(row.value), row.yaml);
    });
  }
});
