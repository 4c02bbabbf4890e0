// The library replay benchmark: `riposte replay` of a mixed log (bench/mixed-log.ts: sshd,
// nginx, postfix) with 40 library filters (`use:`), lines/s by wall and CPU time, beside
// fail2ban-regex with fail2ban's own filter files of the same 40 services (Debian's
// /etc/fail2ban/filter.d), in the same run. fail2ban-regex takes one filter per process: it
// is run once per filter, on the log's first lines only (40 passes over 1 M lines would
// take hours), and its figure is those lines over the sum of its 40 runs.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { mixedLog } from './mixed-log.js';
import {
  MAIN,
  remove,
  repeatWithin,
  type Sample,
  scratch,
  slice,
  spread,
  spreadOf,
  timed,
} from './measure.js';
import { number, type Row, times } from './report.js';

const NAME = 'replay-library';

/** The services of both libraries: riposte's `library/NAME.yml`, fail2ban's `filter.d/NAME.conf`. */
export const FILTERS = [
  'sshd',
  'dropbear',
  'selinux-ssh',
  'pam-generic',
  'nginx-http-auth',
  'nginx-limit-req',
  'nginx-botsearch',
  'nginx-bad-request',
  'postfix',
  'sendmail-auth',
  'sendmail-reject',
  'exim',
  'exim-spam',
  'courier-smtp',
  'dovecot',
  'courier-auth',
  'cyrus-imap',
  'sieve',
  'perdition',
  'solid-pop3d',
  'uwimap-auth',
  'proftpd',
  'pure-ftpd',
  'vsftpd',
  'wuftpd',
  'gssftpd',
  'xinetd-fail',
  'apache-auth',
  'apache-badbots',
  'apache-noscript',
  'apache-overflows',
  'apache-nohome',
  'apache-shellshock',
  'lighttpd-auth',
  'named-refused',
  'nsd',
  'asterisk',
  'freeswitch',
  'murmur',
  'monit',
] as const;

const FAIL2BAN_FILTERS = '/etc/fail2ban/filter.d';

export async function replayLibrary(ctx: Context): Promise<Row[]> {
  const lines = ctx.quick ? 100_000 : 1_000_000;
  const log = mixedLog(lines);
  const riposte = await measureRiposte(ctx, log);
  const rows = riposteRows(lines, riposte);
  const program = ctx.tools.fail2banRegex;
  if (program === undefined) return [...rows, missing()];
  const head = ctx.quick ? 2_000 : 20_000;
  const fail2ban = await measureFail2ban(program, slice(log, head));
  return [...rows, ...fail2banRows(head, fail2ban, { lines, samples: riposte.samples })];
}

interface Riposte {
  readonly samples: Sample[];
  /** Lines counted, all filters together, from the replay's summary. */
  readonly matched: number;
}

function configOf(dir: string): string {
  const filters = Object.fromEntries(
    FILTERS.map((use) => [
      use,
      {
        use,
        actions: {
          ban: { cmd: ['true', '<ip>'] },
          unban: { cmd: ['true', '<ip>'], after: '10m' },
        },
      },
    ]),
  );
  const path = join(dir, 'library.json');
  writeFileSync(path, JSON.stringify({ streams: { log: { cmd: ['true'], filters } } }));
  return path;
}

async function measureRiposte(ctx: Context, log: string): Promise<Riposte> {
  const dir = scratch('replay-library');
  try {
    const config = configOf(dir);
    const run = `exec "${process.execPath}" "${MAIN}" replay -c "${config}" -f json --now 2024-12-31 "${log}" >/dev/null`;
    const samples = await repeatWithin({ max: ctx.runs.long, budget: ctx.budget }, () =>
      timed(['sh', '-c', run]),
    );
    return { samples, matched: matchedOf(samples[0]!.stderrFile) };
  } finally {
    remove(dir);
  }
}

/** The replay's summary on stderr: "log.sshd: 1000000 lines, 61234 matched, …", summed. */
function matchedOf(stderrFile: string): number {
  const text = readFileSync(stderrFile, 'utf8');
  return [...text.matchAll(/^\S+: \d+ lines, (\d+) matched/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

interface Fail2ban {
  /** One run per filter found in filter.d, in FILTERS order. */
  readonly runs: readonly {
    readonly filter: string;
    readonly sample: Sample;
    /** The same filter on an empty file: fail2ban-regex's start-up and filter loading. */
    readonly empty: Sample;
    readonly matched: number;
  }[];
  readonly absent: readonly string[];
}

async function measureFail2ban(program: string, log: string): Promise<Fail2ban> {
  const runs: { filter: string; sample: Sample; empty: Sample; matched: number }[] = [];
  const absent: string[] = [];
  for (const filter of FILTERS) {
    const file = join(FAIL2BAN_FILTERS, `${filter}.conf`);
    if (!existsSync(file)) {
      absent.push(filter);
      continue;
    }
    const sample = await timed([program, '--print-no-missed', log, file]);
    const empty = await timed([program, '--print-no-missed', '/dev/null', file]);
    const found = /Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(sample.stdout);
    runs.push({ filter, sample, empty, matched: Number(found?.[1] ?? Number.NaN) });
  }
  return { runs, absent };
}

function riposteRows(lines: number, r: Riposte): Row[] {
  const note = `${number(lines)} mixed lines (60% sshd, 20% nginx, 20% postfix), ${FILTERS.length} use: filters, counting and scheduling included; ${number(r.matched)} lines counted, all filters together; peak RSS ${number(r.samples[0]!.rssMb)} MB`;
  return [
    {
      benchmark: NAME,
      tool: 'riposte replay',
      metric: 'lines/s (wall)',
      value: spreadOf(r.samples, (s) => lines / s.wall),
      note,
    },
    {
      benchmark: NAME,
      tool: 'riposte replay',
      metric: 'lines/s (CPU)',
      value: spreadOf(r.samples, (s) => lines / s.cpu),
    },
  ];
}

function fail2banRows(
  head: number,
  f: Fail2ban,
  riposte: { readonly lines: number; readonly samples: readonly Sample[] },
): Row[] {
  const wall = f.runs.reduce((t, r) => t + r.sample.wall, 0);
  const cpu = f.runs.reduce((t, r) => t + r.sample.cpu, 0);
  const matched = f.runs.reduce((t, r) => t + r.matched, 0);
  const startup = f.runs.reduce((t, r) => t + r.empty.cpu, 0);
  const matching = Math.max(cpu - startup, 1e-3);
  const byWall = spreadOf(riposte.samples, (s) => riposte.lines / s.wall).median;
  const byCpu = spreadOf(riposte.samples, (s) => riposte.lines / s.cpu).median;
  const absent = f.absent.length === 0 ? '' : `; not in filter.d: ${f.absent.join(', ')}`;
  const note = `the first ${number(head)} lines of the same log, one process per filter (${f.runs.length} filters, start-up included), figure = lines ÷ the runs' summed time; ${number(matched)} lines matched, all filters together${absent}`;
  return [
    {
      benchmark: NAME,
      tool: 'fail2ban-regex',
      metric: 'lines/s (wall)',
      value: spread([head / wall]),
      ratio: times(byWall / (head / wall), 'riposte ÷ fail2ban-regex'),
      note,
    },
    {
      benchmark: NAME,
      tool: 'fail2ban-regex',
      metric: 'lines/s (CPU)',
      value: spread([head / cpu]),
      ratio: times(byCpu / (head / cpu), 'riposte ÷ fail2ban-regex'),
    },
    {
      benchmark: NAME,
      tool: 'fail2ban-regex, start-up excluded',
      metric: 'lines/s (CPU)',
      value: spread([head / matching]),
      ratio: times(byCpu / (head / matching), 'riposte ÷ fail2ban-regex'),
      note: `the CPU time of each filter on an empty file (${startup.toFixed(1)} s in all: start-up, filter loading) taken off its run; riposte's figure keeps its own start-up, run once for all filters`,
    },
  ];
}

function missing(): Row {
  return {
    benchmark: NAME,
    tool: 'fail2ban-regex',
    metric: 'lines/s (wall)',
    value: { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 },
    note: 'not installed: run bench/install-tools.sh (Debian package fail2ban)',
  };
}
