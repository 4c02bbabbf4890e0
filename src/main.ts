#!/usr/bin/env node
// The `riposte` command: parses argv and hands over to the daemon or a client command.
// Receives the command line; sends the exit status. The only process.exit of riposte.

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { testConfig } from './client/test-config.js';
import { testRegex } from './client/test-regex.js';
import { UsageError } from './lib/errors.js';
import { LEVELS, type Level } from './lib/log.js';

const FORMATS = ['yaml', 'json'] as const;

function version(): string {
  const manifest = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function program(run: (status: Promise<number>) => void): Command {
  const cli = new Command('riposte')
    .description('Scans the output of long-running commands for repeated offences and acts on them.')
    .version(version(), '-V, --version')
    .helpCommand(true)
    .showHelpAfterError('(run "riposte help" for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });

  cli
    .command('test-config')
    .description('load a configuration and print its merged, normalised form, or every error')
    .requiredOption('-c, --config <path>', 'configuration file or directory')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'))
    .action((o: { config: string; format: (typeof FORMATS)[number] }) => run(testConfig(o.config, o.format)));

  cli
    .command('test-regex')
    .description('test a regex (with the <pattern>s of a configuration) on LINE, or on each line of stdin')
    .argument('<regex>', 'the regex, in the configuration syntax')
    .argument('[line]', 'the line to test; read lines from stdin when absent')
    .option('-c, --config <path>', 'configuration whose patterns the regex may use')
    .action((regex: string, line: string | undefined, o: { config?: string }) =>
      run(testRegex(regex, { ...(o.config === undefined ? {} : { config: o.config }), ...(line === undefined ? {} : { line }) })),
    );
  return cli;
}

export function parseLevel(value: string): Level {
  const level = value.toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`expected one of ${LEVELS.join(', ')}`);
  }
  return level as Level;
}

function main(): void {
  const cli = program((status) => {
    status.then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        if (error instanceof UsageError) process.stderr.write(`riposte: ${error.message}\n`);
        else process.stderr.write(`riposte: internal error: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  });
  cli.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 1));
  cli.parse(process.argv);
}

main();
