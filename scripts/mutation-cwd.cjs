// Loaded into every test process of a mutation run (stryker.config.mjs), after Stryker's own
// hook: that hook writes its results at exit into the working directory, and a test that was
// stopped at its first failure may have left the process in a temporary directory of its own
// (config.test.ts runs in one). Returning to the directory the process started in, before
// the hook writes, keeps a killed mutant from being reported as an error of the runner.
const start = process.cwd();
process.prependListener('exit', () => process.chdir(start));
