#!/usr/bin/env node
// `npm run mutation [WORD…] [--incremental]`: runs StrykerJS (stryker.config.mjs) once per
// core file whose path contains one of the words (all of them without a word), one after
// the other, each on the unit tests that cover it; then prints the mutation score of every
// file that has a report in reports/mutation/. `--summary` prints the scores only;
// `--survivors` prints them and every mutant that no test killed, to review.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportName, TARGETS } from '../stryker.config.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const words = args.filter((a) => !a.startsWith('--'));
const incremental = args.includes('--incremental');
const targets = Object.keys(TARGETS).filter(
  (t) => words.length === 0 || words.some((w) => t.includes(w)),
);
if (targets.length === 0) {
  console.error(
    `no core file matches ${words.join(' ')}; the files are:\n${Object.keys(TARGETS).join('\n')}`,
  );
  process.exit(1);
}

let failed = false;
if (!args.includes('--summary') && !args.includes('--survivors')) {
  for (const target of targets) {
    const started = Date.now();
    console.log(`\n=== ${target}: ${TARGETS[target].join(', ')}`);
    const stryker = join(root, 'node_modules', '.bin', 'stryker');
    const flags = incremental
      ? [
          '--incremental',
          '--incrementalFile',
          `reports/mutation/${reportName(target)}.incremental.json`,
        ]
      : [];
    const run = spawnSync(stryker, ['run', 'stryker.config.mjs', ...flags], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, MUTATION_TARGET: target },
    });
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    console.log(`=== ${target}: exit status ${run.status ?? run.signal}, ${minutes} min`);
    if (run.status !== 0) failed = true;
  }
}

console.log(`\n${summary(Object.keys(TARGETS))}`);
if (args.includes('--survivors')) for (const target of targets) console.log(survivors(target));
process.exit(failed ? 1 : 0);

/** The mutants of a target that no test killed: where, which mutator, what it wrote. */
function survivors(target) {
  const path = join(root, 'reports', 'mutation', `${reportName(target)}.json`);
  if (!existsSync(path)) return `${target}: no report`;
  const file = JSON.parse(readFileSync(path, 'utf8')).files[target];
  const lines = file.source.split('\n');
  return file.mutants
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .sort((a, b) => a.location.start.line - b.location.start.line)
    .map((m) => {
      const { start } = m.location;
      const code = lines[start.line - 1].trim();
      return `${target}:${start.line}:${start.column} ${m.status} ${m.mutatorName}: ${JSON.stringify(m.replacement)}\n    ${code}`;
    })
    .join('\n');
}

/** The score table of every target that has a report, as Markdown. */
function summary(all) {
  const rows = [
    '| file | score | killed | timeout | survived | no coverage | errors |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const target of all) {
    const path = join(root, 'reports', 'mutation', `${reportName(target)}.json`);
    if (!existsSync(path)) continue;
    const report = JSON.parse(readFileSync(path, 'utf8'));
    const mutants = Object.values(report.files).flatMap((f) => f.mutants);
    const count = (status) => mutants.filter((m) => m.status === status).length;
    const detected = count('Killed') + count('Timeout');
    const valid = detected + count('Survived') + count('NoCoverage');
    const errors = count('CompileError') + count('RuntimeError');
    const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)} %`;
    rows.push(
      `| \`${target}\` | ${score} | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${errors} |`,
    );
  }
  return rows.join('\n');
}
