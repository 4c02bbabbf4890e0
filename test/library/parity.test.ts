// `use: NAME` bans what fail2ban's jail of the same service bans: fail2ban's annotated
// samples (../shared/corpus, skipped when absent) made into a log in time order, replayed
// by the real `riposte replay`, against the bans fail2ban's rules give on the annotated
// failures (jail.ts) and, where fail2ban is installed, against fail2ban itself. At the
// jail's thresholds and at lower ones, which make every failure of the samples count.

process.env['TZ'] = 'Europe/Zurich';

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { loadConfig } from '../../src/concepts/config.js';
import { resolveUse } from '../../src/concepts/library.js';
import { canonicalIp } from '../../src/lib/ip.js';
import { MAIN } from '../daemon/harness.js';
import { corpusMissing } from './corpus.js';
import { explanationOf } from './evaluate.js';
import { type Fail2banJail, type Fail2banRun, fail2banPython, runFail2ban } from './fail2ban.js';
import { type Ban, type Failure, jailBans, type Thresholds } from './jail.js';
import { type JailLine, jailLog, labelTime, SAMPLES_READ_AT, SAMPLES_ZONE } from './jail-log.js';

interface Service {
  /** The sample file, and the fail2ban mode its lines are tested under. */
  readonly samples: string;
  readonly mode: string;
  readonly use: string;
  /** fail2ban's jail of jail.conf, and the filter it names. */
  readonly jail: string;
  readonly filter: string;
}

const SERVICES: readonly Service[] = [
  { samples: 'sshd', mode: 'normal', use: 'sshd', jail: 'sshd', filter: 'sshd' },
  {
    samples: 'postfix',
    mode: 'auth',
    use: 'postfix-sasl',
    jail: 'postfix-sasl',
    filter: 'postfix[mode=auth]',
  },
  { samples: 'dovecot', mode: 'normal', use: 'dovecot', jail: 'dovecot', filter: 'dovecot' },
  {
    samples: 'nginx-http-auth',
    mode: 'normal',
    use: 'nginx-http-auth',
    jail: 'nginx-http-auth',
    filter: 'nginx-http-auth',
  },
];

/** fail2ban's jail.conf defaults first (maxretry 5, findtime 10m, bantime 10m). */
const JAIL: Thresholds = { maxretry: 5, findtime: 600, bantime: 600 };
const ROWS: readonly { readonly name: string; readonly thresholds: Thresholds }[] = [
  { name: 'jail', thresholds: JAIL },
  // The samples seldom hold five failures of one address within ten minutes: lower
  // thresholds make every failure, and every line's time, weigh on the bans.
  { name: 'retry2', thresholds: { ...JAIL, maxretry: 2 } },
  { name: 'retry1', thresholds: { ...JAIL, maxretry: 1 } },
];

/** The addresses fail2ban's `ignoreself` and the `ip` pattern `use:` declares both ignore. */
const SELF = new Set(['127.0.0.1', '::1']);

type Bans = ReadonlyMap<string, readonly Ban[]>;

function configOf(use: string): Record<string, unknown> {
  const filters = Object.fromEntries(
    ROWS.map(({ name, thresholds: t }) => [
      name,
      {
        use,
        retry: t.maxretry,
        retryperiod: `${t.findtime}s`,
        actions: {
          ban: { cmd: ['true', '<ip>'] },
          unban: { cmd: ['true', '<ip>'], after: `${t.bantime}s` },
        },
      },
    ]),
  );
  return { streams: { log: { cmd: ['true'], filters } } };
}

/** `riposte replay -f json` of the log, one filter per row of thresholds: its bans by row. */
function replayBans(dir: string, lines: readonly JailLine[]): Bans {
  writeFileSync(join(dir, 'log'), `${lines.map((l) => l.text).join('\n')}\n`);
  const run = spawnSync(
    process.execPath,
    [MAIN, 'replay', '-c', 'config.json', '-f', 'json', '--now', SAMPLES_READ_AT, 'log'],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, TZ: SAMPLES_ZONE } },
  );
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    actions: { filter: string; action: string; time: string; match: { ip: string } }[];
  };
  return new Map(
    ROWS.map(({ name }) => [
      name,
      report.actions
        .filter((a) => a.filter === `log.${name}` && a.action === 'ban')
        .map((a) => ({ host: a.match.ip, time: Date.parse(a.time) / 1000 })),
    ]),
  );
}

/**
 * The lines the library file says riposte reads otherwise than fail2ban (a failure found on
 * an earlier line of the connection…), with the address riposte takes from each, and why.
 */
async function explainedLines(
  dir: string,
  service: Service,
  lines: readonly JailLine[],
): Promise<Map<string, { host: string | undefined; why: string }>> {
  const loaded = await loadConfig(join(dir, 'config.json'));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const filter = loaded.config.streams[0]!.filters[0]!;
  const library = resolveUse(service.use)!.filter;
  const explained = new Map<string, { host: string | undefined; why: string }>();
  for (const line of lines) {
    const host = filter.match(line.text)?.[0];
    if (host === counted(line.host)) continue;
    const why = explanationOf(library, line.text, line.host);
    if (why !== undefined) explained.set(line.where, { host, why });
  }
  return explained;
}

function counted(host: string | undefined): string | undefined {
  return host === undefined || SELF.has(host) ? undefined : host;
}

/**
 * The failures of the log: fail2ban's (its annotations, at their times), or, given the lines
 * riposte reads otherwise, riposte's (at the times riposte reads: see labelTime).
 */
function failuresOf(
  lines: readonly JailLine[],
  explained?: ReadonlyMap<string, { host: string | undefined }>,
): Failure[] {
  return lines.flatMap((line) => {
    const host = explained?.has(line.where) ? explained.get(line.where)!.host : counted(line.host);
    const time = explained === undefined ? line.time : (labelTime(line.text) ?? line.time);
    return host === undefined ? [] : [{ host, time }];
  });
}

function show(bans: readonly Ban[]): string[] {
  return bans.map((b) => `${b.host} at ${new Date(b.time * 1000).toISOString()}`);
}

const fail2ban = fail2banPython();
// CI installs fail2ban (.ci/run): there, its absence fails the test rather than skipping it.
const fail2banSkip =
  'missing' in fail2ban && process.env['CI'] !== 'true' ? fail2ban.missing : false;

describe("use: NAME bans what fail2ban's jail bans on fail2ban's samples", {
  skip: corpusMissing() ?? false,
}, () => {
  for (const service of SERVICES) {
    test(`use: ${service.use} bans what the ${service.jail} jail bans, but where its library file says why not`, async (t) => {
      const lines = jailLog(service.samples, service.mode);
      const { replayed, explained } = await replay(service, lines);
      for (const [where, { why }] of explained) t.diagnostic(`${where}: ${why}`);
      for (const { name, thresholds } of ROWS) {
        const expected = jailBans(failuresOf(lines, explained), thresholds);
        assert.deepEqual(show(replayed.get(name)!), show(expected), `thresholds ${name}`);
        const fail2ban = jailBans(failuresOf(lines), thresholds);
        for (const line of differences(fail2ban, expected)) t.diagnostic(`${name}: ${line}`);
      }
      await t.test(
        `fail2ban's own ${service.jail} jail bans what its rules give on the failures it finds`,
        { skip: fail2banSkip },
        (t) => checkFail2ban(t, service, lines),
      );
    });
  }
});

/** The replay's bans by row, and the lines riposte reads otherwise than fail2ban, by design. */
async function replay(service: Service, lines: readonly JailLine[]) {
  const dir = mkdtempSync(join(tmpdir(), 'riposte-parity-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(configOf(service.use)));
    return {
      replayed: replayBans(dir, lines),
      explained: await explainedLines(dir, service, lines),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lines fail2ban as installed reads otherwise than the annotations of its samples, which
 * a later fail2ban wrote, and why (in another version a line may agree).
 */
const INSTALLED_READS_OTHERWISE: Readonly<Record<string, string>> = {
  'sshd:24': "OpenSSH 9.8's sshd-session process, which fail2ban's filter learnt after 1.0",
  'sshd:173':
    'its address is on an earlier line of the connection: fail2ban finds it, the annotation names none',
  'nginx-http-auth:17': "auth_pam's refusals, which fail2ban's filter learnt after 1.0",
  'dovecot:27': 'dovecot 2.3\'s "Login aborted", which fail2ban\'s filter learnt after 1.0',
  'dovecot:29': 'dovecot 2.3\'s "Login aborted", which fail2ban\'s filter learnt after 1.0',
  'dovecot:143':
    'dovecot 2.4\'s sql "Password mismatch", which fail2ban\'s filter learnt after 1.0',
  'dovecot:145': 'dovecot 2.3\'s "Login aborted", which fail2ban\'s filter learnt after 1.0',
};

/**
 * The lines fail2ban as installed is not given, and why: its filter of 1.0 backtracks for
 * seconds of CPU on each (GHSA-33wh-ccjc-p397), which the later one does not.
 */
const KEPT_FROM_INSTALLED: Readonly<Record<string, string>> = {
  'dovecot:148': "fail2ban 1.0's dovecot filter backtracks for seconds on this line",
};

/**
 * fail2ban itself on the same log: its bans are what jail.ts's rules give on the failures
 * its filter found, at every row of thresholds; those failures are the annotated ones, line
 * by line, but where the installed version reads a line otherwise.
 */
function checkFail2ban(t: TestContext, service: Service, all: readonly JailLine[]): void {
  const lines = all.filter((line) => {
    const why = KEPT_FROM_INSTALLED[line.where];
    if (why !== undefined) t.diagnostic(`${line.where} not given to fail2ban: ${why}`);
    return why === undefined;
  });
  const run = fail2banRun(service, lines);
  for (const [i, { name, thresholds }] of ROWS.entries()) {
    const jail = jailsOf(service)[i]!.name;
    const found = run.failures.filter((f) => f.jail === jail);
    const bans = run.bans.filter((b) => b.jail === jail);
    assert.deepEqual(show(bans), show(jailBans(found, thresholds)), `thresholds ${name}`);
  }
  const found = lines.map(() => [] as string[]);
  for (const f of run.failures)
    if (f.jail === service.jail) found[f.line]!.push(canonicalIp(f.host) ?? f.host);
  const unexplained: string[] = [];
  for (const [i, line] of lines.entries()) {
    const annotated = counted(line.host);
    const got = found[i]!.join(', ') || undefined;
    if (got === annotated) continue;
    const why = INSTALLED_READS_OTHERWISE[line.where];
    const what = `${line.where}: fail2ban ${run.version} finds ${got ?? 'no failure'}, its annotation ${annotated ?? 'none'}`;
    if (why === undefined) unexplained.push(what);
    else t.diagnostic(`${what}: ${why}`);
  }
  assert.deepEqual(unexplained, []);
}

/** fail2ban's jails by row: jail.conf's own jail, then one per lower threshold. */
function jailsOf(service: Service): Fail2banJail[] {
  return ROWS.map(({ name, thresholds }) =>
    name === 'jail'
      ? { name: service.jail }
      : { name: `${service.jail}-${name}`, filter: service.filter, thresholds },
  );
}

function fail2banRun(service: Service, lines: readonly JailLine[]): Fail2banRun {
  if ('missing' in fail2ban) throw new Error(fail2ban.missing);
  const python = fail2ban.python;
  const run = runFail2ban(python, jailsOf(service), lines, SAMPLES_ZONE);
  assert.deepEqual(run.settings[service.jail], JAIL, "jail.conf's thresholds");
  return run;
}

function differences(fail2ban: readonly Ban[], riposte: readonly Ban[]): string[] {
  const [f, r] = [show(fail2ban), show(riposte)];
  return [
    ...f.filter((b) => !r.includes(b)).map((b) => `fail2ban bans ${b}, riposte does not`),
    ...r.filter((b) => !f.includes(b)).map((b) => `riposte bans ${b}, fail2ban does not`),
  ];
}
