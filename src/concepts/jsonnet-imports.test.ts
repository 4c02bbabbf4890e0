// importsOf() as a table of Jsonnet sources and the imports found in them: comments, strings
// and text blocks hide the word, escapes and verbatim strings are decoded.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importsOf } from './jsonnet-imports.js';

const ROWS: [name: string, source: string, imports: [kind: string, path: string][]][] = [
  [
    'the three kinds',
    "import 'a.libsonnet' + importstr \"b.txt\" + importbin 'c'",
    [
      ['import', 'a.libsonnet'],
      ['importstr', 'b.txt'],
      ['importbin', 'c'],
    ],
  ],
  [
    'escapes and verbatim strings',
    "import 'a\\u0062\\'c' + importstr @'d''e' + import @\"f\"\"g\"",
    [
      ['import', "ab'c"],
      ['importstr', "d'e"],
      ['import', 'f"g'],
    ],
  ],
  [
    'a comment between the keyword and its path',
    "import /* x */ 'a' + import // y\n 'b'",
    [
      ['import', 'a'],
      ['import', 'b'],
    ],
  ],
  [
    '"import" in comments and strings',
    "# import 'a'\n// import 'b'\n/* import 'c' */ 'import \\'d\\''",
    [],
  ],
  [
    '"import" in a text block',
    "local t = |||\n    import 'a'\n  |||;\nimport 'b'",
    [['import', 'b']],
  ],
  [
    'a text block whose lines hold "|||" deeper than its end',
    "local t = |||\n    x\n      |||\n  |||;\nimport 'a'",
    [['import', 'a']],
  ],
  [
    'identifiers that only contain the word',
    "local myimport = 1; local importer = 'a'; importstr2",
    [],
  ],
  ['a computed path, which Jsonnet refuses anyway', "import ('a' + 'b')", []],
];

for (const [name, source, imports] of ROWS) {
  test(`importsOf() reads ${name}`, () => {
    assert.deepEqual(
      importsOf(source).map((i) => [i.kind, i.path]),
      imports,
    );
  });
}

test('importsOf() gives the offset of each keyword', () => {
  assert.deepEqual(
    importsOf("{\n  a: importstr 'x',\n}").map((i) => i.offset),
    [7],
  );
});
