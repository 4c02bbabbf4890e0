#!/usr/bin/env node
// The `riposte` command: answers `--version` (`-V`, `-v`) alone before anything else is
// loaded, and hands every other command line to cli.ts. Receives argv; sends the version, or
// nothing of its own.

import { version } from './lib/home.js';

const VERSION_FLAGS = ['-V', '-v', '--version'];

const args = process.argv.slice(2);
if (args.length === 1 && VERSION_FLAGS.includes(args[0]!)) process.stdout.write(`${version()}\n`);
else (await import('./cli.js')).main();
