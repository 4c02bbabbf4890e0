// StrykerJS on riposte's core modules, one source file per run (`npm run mutation`, see
// scripts/mutation.mjs and docs/mutation.md). Receives the file to mutate in MUTATION_TARGET;
// Stryker instruments the TypeScript source in a sandbox, compiles it there with `tsc`, and
// runs the compiled unit tests that cover the file, as TAP, with node's own test runner;
// MUTATION_CONCURRENCY sets how many test processes run at once, MUTATION_LINES which lines.

/** Each mutated file and the unit tests that cover it (their sources; the compiled ones run). */
/** The scheduler's own tests; the property test is left out (thousands of runs per mutant). */
const SCHEDULER = [
  'src/daemon/scheduler.test.ts',
  'src/daemon/scheduler.detail.test.ts',
  'src/daemon/scheduler-reload.test.ts',
  'src/daemon/revive.test.ts',
  'src/daemon/lanes.test.ts',
  'src/daemon/triggers.test.ts',
];
const FILTER = [
  'src/daemon/filter.test.ts',
  'src/daemon/filter.time.test.ts',
  'src/daemon/filter-reload.test.ts',
];
const STORE = [
  'src/daemon/state/store.test.ts',
  'src/daemon/state/store.writes.test.ts',
  'src/daemon/state/schema.test.ts',
  'src/daemon/state/positions.test.ts',
  'src/daemon/state/cluster.test.ts',
  'src/daemon/state/sqlite.test.ts',
  'src/daemon/state/store.history.test.ts',
  'src/daemon/state/store.full.test.ts',
  'src/daemon/state/store.commit.test.ts',
  'src/daemon/state/count-entries.test.ts',
];

export const TARGETS = {
  'src/concepts/pattern.ts': [
    'src/concepts/pattern.test.ts',
    'src/concepts/filter.test.ts',
    'src/concepts/config.test.ts',
  ],
  'src/concepts/filter.ts': ['src/concepts/filter.test.ts', 'src/concepts/config.test.ts'],
  'src/concepts/action.ts': [
    'src/concepts/action.test.ts',
    'src/concepts/config.test.ts',
    'src/concepts/cluster.test.ts',
    'src/daemon/sets.test.ts',
  ],
  'src/concepts/config.ts': [
    'src/concepts/config.test.ts',
    'src/concepts/config.checks.test.ts',
    'src/concepts/plugin.test.ts',
    'src/concepts/cluster.test.ts',
    'src/concepts/metrics.test.ts',
    'src/concepts/stream-source.test.ts',
  ],
  'src/daemon/filter.ts': FILTER,
  'src/daemon/scheduler.ts': [
    ...SCHEDULER,
    'src/daemon/scheduler.outcome.test.ts',
    'src/daemon/scheduler.commit.test.ts',
  ],
  'src/daemon/triggers.ts': SCHEDULER,
  'src/daemon/lanes.ts': SCHEDULER,
  'src/daemon/revive.ts': SCHEDULER,
  'src/daemon/dues.ts': SCHEDULER,
  'src/daemon/state/store.ts': STORE,
  'src/daemon/state/writes.ts': STORE,
  'src/daemon/state/count-entries.ts': STORE,
  'src/daemon/state/rows.ts': STORE,
  'src/daemon/state/schema.ts': STORE,
  'src/daemon/state/sqlite.ts': STORE,
  'src/daemon/state/memory.ts': [
    ...SCHEDULER,
    'src/daemon/filter.test.ts',
    'src/daemon/state/memory.test.ts',
  ],
  'src/lib/lines.ts': ['src/lib/lines.test.ts'],
  'src/lib/ip.ts': ['src/lib/ip.test.ts'],
  'src/lib/duration.ts': ['src/lib/duration.test.ts'],
  'src/lib/regex/engine.ts': [
    'src/lib/regex/engine.test.ts',
    'src/lib/regex/engine.choice.test.ts',
    'src/lib/regex/index.test.ts',
  ],
};

/** The compiled test file of a test source: where `tsc` writes it in the sandbox. */
export function compiled(source) {
  return `dist/${source.replace(/\.ts$/, '.js')}`;
}

/** The name of a target's reports: `src/daemon/state/store.ts` → `daemon-state-store`. */
export function reportName(target) {
  return target
    .replace(/^src\//, '')
    .replace(/\.ts$/, '')
    .replaceAll('/', '-');
}

const target = process.env.MUTATION_TARGET ?? '';
const tests = TARGETS[target];
/** MUTATION_LINES=60-223 mutates only those lines of the file (a part measured on its own). */
const lines = process.env.MUTATION_LINES;

export default tests === undefined
  ? { mutate: [] }
  : {
      mutate: [lines === undefined ? target : `${target}:${lines}`],
      testRunner: 'tap',
      tap: {
        testFiles: tests.map(compiled),
        // Stryker's hook, then scripts/mutation-cwd.cjs (back to the starting directory before
        // the hook writes its results); the TAP reporter whatever stdout is; a failing file
        // stops at its first failure.
        nodeArgs: ['-r', '{{hookFile}}', '-r', './scripts/mutation-cwd.cjs', '--test-reporter=tap'],
        forceBail: true,
      },
      buildCommand: 'npm run build',
      coverageAnalysis: 'perTest',
      // Stryker's default is one process less than the cores; MUTATION_CONCURRENCY overrides it.
      ...(process.env.MUTATION_CONCURRENCY === undefined
        ? {}
        : { concurrency: Number(process.env.MUTATION_CONCURRENCY) }),
      // The machine is shared and small: a mutant counts as a timeout only when it is far
      // slower than the tests were, not because a neighbour was busy.
      timeoutMS: 20_000,
      timeoutFactor: 2,
      reporters: ['clear-text', 'progress', 'json', 'html'],
      jsonReporter: { fileName: `reports/mutation/${reportName(target)}.json` },
      htmlReporter: { fileName: `reports/mutation/${reportName(target)}.html` },
      clearTextReporter: { allowColor: false, logTests: false },
      // The tsconfig is read by Stryker only to rewrite paths that leave the project, which
      // riposte's do not; its rewriter needs the TypeScript API that the native compiler lacks.
      tsconfigFile: 'tsconfig.stryker-absent.json',
      ignorePatterns: ['dist', 'build', 'reports', 'bench/results', 'demo-state', '*.tgz'],
      tempDirName: '.stryker-tmp',
      cleanTempDir: 'always',
    };
