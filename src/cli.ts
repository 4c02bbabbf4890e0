// The `riposte` command line, past main.ts: parses argv and hands over to the daemon or a
// client command. Receives the command line; sends the exit status. The only process.exit
// of riposte.

import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './lib/duration.js';
import { UsageError } from './lib/errors.js';
import { version } from './lib/home.js';
import { configureLog, LEVELS, type Level } from './lib/log.js';
import { defaultSocket } from './protocol.js';

const FORMATS = ['yaml', 'json'] as const;

// Each command loads only what it uses: a client command need not load SQLite, RE2 or the
// Jsonnet engine, and answers faster.
const show = async (...a: Parameters<typeof import('./client/show.js').show>) =>
  (await import('./client/show.js')).show(...a);
const status = async (...a: Parameters<typeof import('./client/status.js').status>) =>
  (await import('./client/status.js')).status(...a);
const filters = async (...a: Parameters<typeof import('./client/filters.js').filters>) =>
  (await import('./client/filters.js')).filters(...a);
const testConfig = async (...a: Parameters<typeof import('./client/test-config.js').testConfig>) =>
  (await import('./client/test-config.js')).testConfig(...a);
const testRegex = async (...a: Parameters<typeof import('./client/test-regex.js').testRegex>) =>
  (await import('./client/test-regex.js')).testRegex(...a);
const trigger = async (...a: Parameters<typeof import('./client/trigger.js').trigger>) =>
  (await import('./client/trigger.js')).trigger(...a);
const ban = async (...a: Parameters<typeof import('./client/ban.js').ban>) =>
  (await import('./client/ban.js')).ban(...a);
const unban = async (...a: Parameters<typeof import('./client/ban.js').unban>) =>
  (await import('./client/ban.js')).unban(...a);
const why = async (...a: Parameters<typeof import('./client/why.js').why>) =>
  (await import('./client/why.js')).why(...a);
const reload = async (...a: Parameters<typeof import('./client/reload.js').reload>) =>
  (await import('./client/reload.js')).reload(...a);
const replay = async (...a: Parameters<typeof import('./daemon/replay.js').replay>) =>
  (await import('./daemon/replay.js')).replay(...a);
const runDaemon = async (...a: Parameters<typeof import('./daemon/start.js').runDaemon>) =>
  (await import('./daemon/start.js')).runDaemon(...a);

function program(run: (status: Promise<number>) => void): Command {
  const cli = new Command('riposte')
    .description(
      'Scans the output of long-running commands for repeated offences and acts on them.',
    )
    .version(version(), '-V, --version')
    .addOption(new Option('-v', 'output the version number (as -V)'))
    .on('option:v', () => {
      process.stdout.write(`${version()}\n`);
      process.exit(0);
    })
    .helpCommand(true)
    .showHelpAfterError('(run "riposte help" for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });

  const socketOption = () =>
    new Option(
      '-s, --socket <path>',
      'control socket (for a user other than root: under $XDG_RUNTIME_DIR, else /tmp/riposte-UID)',
    ).default(defaultSocket());

  cli
    .command('start')
    .description('run the daemon')
    .requiredOption('-c, --config <path>', 'configuration file or directory')
    .addOption(
      new Option('-l, --loglevel <level>', 'lowest level logged')
        .argParser(parseLevel)
        .default('INFO'),
    )
    .addOption(socketOption())
    .addOption(
      new Option('--action-timeout <duration>', 'kill an action running longer than this')
        .argParser(parseTimeout)
        .default(300_000, '5m'),
    )
    .action((o: { config: string; loglevel: Level; socket: string; actionTimeout: number }) => {
      configureLog({ level: o.loglevel });
      run(
        runDaemon({
          config: o.config,
          socket: o.socket,
          actionTimeout: o.actionTimeout,
          version: version(),
          exit: (code) => process.exit(code),
        }),
      );
    });

  for (const kind of ['show', 'flush'] as const) {
    const command = cli
      .command(kind)
      .description(
        kind === 'show'
          ? 'print current counts, the triggers in effect (current bans) and their pending actions'
          : 'forget the counts, run now the pending actions (unban) and lift the bans with no end of the selected matches; print them',
      )
      .argument(
        '[selectors...]',
        'NAME=REGEX: keep the matches whose pattern NAME matches REGEX whole',
      )
      .addOption(socketOption())
      .addOption(
        new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'),
      )
      .option('-l, --limit <stream[.filter]>', 'only this stream, or this filter');
    if (kind === 'show') {
      command.option('--lines', 'also the log lines that counted toward each trigger and count');
    }
    command.action(
      (
        selectors: string[],
        o: { socket: string; format: (typeof FORMATS)[number]; limit?: string; lines?: boolean },
      ) =>
        run(
          show(kind, {
            socket: o.socket,
            format: o.format,
            selectors,
            ...(o.limit === undefined ? {} : { limit: o.limit }),
            ...(o.lines === true ? { lines: true } : {}),
          }),
        ),
    );
  }

  cli
    .command('ban')
    .description(
      'trigger a filter for an address now, without counting: the one given, or the only one whose match is an address',
    )
    .argument('<address>', 'an IP address (or, for a masked pattern, its network)')
    .option('-l, --limit <stream.filter>', 'the filter to trigger')
    .addOption(socketOption())
    .action((address: string, o: { socket: string; limit?: string }) =>
      run(ban({ socket: o.socket, address, ...(o.limit === undefined ? {} : { limit: o.limit }) })),
    );

  cli
    .command('unban')
    .description(
      'in every filter, flush the matches that hold an address (or lie in a network): forget their counts, run their pending actions now, lift their bans with no end',
    )
    .argument('<address>', 'an IP address or network')
    .addOption(
      new Option('-f, --format <format>', 'print the report as flush does').choices(FORMATS),
    )
    .addOption(socketOption())
    .action((address: string, o: { socket: string; format?: (typeof FORMATS)[number] }) =>
      run(
        unban({
          socket: o.socket,
          address,
          ...(o.format === undefined ? {} : { format: o.format }),
        }),
      ),
    );

  cli
    .command('why')
    .description(
      'the triggers whose match holds an address, in effect or ended within the history window, with the lines that counted toward each; its counts; the rules that ignore it',
    )
    .argument('<address>', 'an IP address or network')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'),
    )
    .addOption(socketOption())
    .action((address: string, o: { socket: string; format: (typeof FORMATS)[number] }) =>
      run(why({ socket: o.socket, address, format: o.format })),
    );

  cli
    .command('trigger')
    .description('trigger a filter for a match now, without counting')
    .argument('<stream.filter>', 'the filter')
    .argument('[values...]', 'NAME=VALUE for each pattern of the filter')
    .addOption(socketOption())
    .action((target: string, values: string[], o: { socket: string }) =>
      run(trigger(o.socket, target, values)),
    );

  cli
    .command('status')
    .description('print the state of the streams and the counters of the running daemon')
    .addOption(socketOption())
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'),
    )
    .action((o: { socket: string; format: (typeof FORMATS)[number] }) =>
      run(status(o.socket, o.format)),
    );

  cli
    .command('reload')
    .description(
      'make the running daemon read its configuration again and apply it without a restart; on any error it keeps the one it runs',
    )
    .addOption(socketOption())
    .action((o: { socket: string }) => run(reload(o.socket)));

  cli
    .command('replay')
    .description(
      "run a configuration's filters over log files (or stdin), each line at its own time, with the daemon's counting; print what would trigger, run nothing",
    )
    .requiredOption('-c, --config <path>', 'configuration file or directory')
    .argument('[files...]', 'log files, read one after the other; "-" or none for stdin')
    .option('-l, --limit <stream[.filter]>', 'feed the lines to this stream, or this filter, only')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'),
    )
    .option('--missed', 'list the lines that no regex of a filter matched')
    .option(
      '--now <time>',
      'take the log as read at this time, for the years syslog dates leave out: YYYY, YYYY-MM-DD or ISO 8601 (default: now)',
    )
    .action(
      (
        files: string[],
        o: {
          config: string;
          limit?: string;
          format: (typeof FORMATS)[number];
          missed?: boolean;
          now?: string;
        },
      ) =>
        run(
          replay({
            config: o.config,
            format: o.format,
            missed: o.missed === true,
            files,
            ...(o.limit === undefined ? {} : { limit: o.limit }),
            ...(o.now === undefined ? {} : { now: o.now }),
          }),
        ),
    );

  cli
    .command('test-config')
    .description('load a configuration and print its merged, normalised form, or every error')
    .requiredOption('-c, --config <path>', 'configuration file or directory')
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(FORMATS).default('yaml'),
    )
    .action((o: { config: string; format: (typeof FORMATS)[number] }) =>
      run(testConfig(o.config, o.format)),
    );

  cli
    .command('filters')
    .description(
      'list the filter library, or show one filter (NAME, or NAME-MODE) as "use: NAME" brings it',
    )
    .argument('[name]', 'a library filter, such as sshd or sshd-aggressive')
    .addOption(
      new Option('-f, --format <format>', 'output format of one filter')
        .choices(FORMATS)
        .default('yaml'),
    )
    .action((name: string | undefined, o: { format: (typeof FORMATS)[number] }) =>
      run(filters(name, o.format)),
    );

  cli
    .command('test-regex')
    .description(
      'test a regex (with the <pattern>s of a configuration) on LINE, on each line of files (-f FILE), or on each line of stdin',
    )
    .argument('<regex>', 'the regex, in the configuration syntax')
    .argument(
      '[line]',
      'the line to test (always a line, even if a file of that name exists); without it, the lines of the -f files, else of stdin',
    )
    .option('-c, --config <path>', 'configuration whose patterns the regex may use')
    .option(
      '-f, --file <path>',
      'test each line of this file (repeat -f for several)',
      (path: string, previous: string[] | undefined) => [...(previous ?? []), path],
    )
    .action((regex: string, line: string | undefined, o: { config?: string; file?: string[] }) =>
      run(
        testRegex(regex, {
          ...(o.config === undefined ? {} : { config: o.config }),
          ...(line === undefined ? {} : { line }),
          ...(o.file === undefined ? {} : { files: o.file }),
        }),
      ),
    );
  return cli;
}

function parseTimeout(value: string): number {
  const ms = parseDuration(value);
  if (typeof ms !== 'number') throw new InvalidArgumentError(ms.error);
  if (ms === 0) throw new InvalidArgumentError('must be more than 0');
  return ms;
}

export function parseLevel(value: string): Level {
  const level = value.toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new InvalidArgumentError(`expected one of ${LEVELS.join(', ')}`);
  }
  return level as Level;
}

/**
 * A reader that goes away (`riposte show | head`) is not an error: the command ends quietly,
 * with the status it has so far, instead of dying of an unhandled EPIPE.
 */
function endQuietlyWhenReaderLeaves(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}

export function main(): void {
  endQuietlyWhenReaderLeaves();
  const cli = program((status) => {
    status.then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        if (error instanceof UsageError) process.stderr.write(`riposte: ${error.message}\n`);
        else
          process.stderr.write(
            `riposte: internal error: ${(error as Error).stack ?? String(error)}\n`,
          );
        process.exit(1);
      },
    );
  });
  cli.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 1));
  cli.parse(process.argv);
}
