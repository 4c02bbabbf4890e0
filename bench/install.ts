// Benchmark 9, install: what installing riposte costs, from its Debian package and from npm,
// beside fail2ban's package from Debian: time and peak memory of the install, installed size,
// and riposte's start-up from the installed package to its first answer on the control
// socket, cold (page cache dropped) and warm, in a network namespace of its own. Root only.
// Builds the package, installs and purges it (never over an installed riposte), installs the
// npm tarball under a temporary prefix, and reinstalls fail2ban only where Debian's package
// is installed already (sh bench/install-tools.sh).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './context.js';
import { startups } from './install-startup.js';
import { remove, repeat, ROOT, type Sample, scratch, spread, timed } from './measure.js';
import { number, type Row } from './report.js';

const NAME = 'install';

function sh(argv: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', cwd: ROOT });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** MiB that dpkg says a package takes once installed, or NaN when it is not installed. */
function installedMiB(pkg: string): number {
  const r = sh(['dpkg-query', '-W', `-f=\${Installed-Size}`, pkg]);
  return r.ok ? Number(r.out) / 1024 : Number.NaN;
}

function duMiB(path: string): number {
  const r = sh(['du', '-sk', path]);
  return r.ok ? Number(r.out.split(/\s/)[0]) / 1024 : Number.NaN;
}

/** The sample of a command that must succeed; else an error with the end of what it said. */
function must(sample: Sample, what: string): Sample {
  if (sample.status === 0) return sample;
  const said = readFileSync(sample.stderrFile, 'utf8').trim().split('\n').slice(-3).join(' / ');
  throw new Error(`install: ${what} failed (exit status ${sample.status}): ${said}`);
}

function notMeasured(tool: string, why: string): Row {
  return { benchmark: NAME, tool, metric: '', value: spread([]), note: `not measured: ${why}` };
}

/** Rows of time and peak memory of one way to install. */
function costRows(tool: string, runs: readonly Sample[], note: string): Row[] {
  return [
    {
      benchmark: NAME,
      tool,
      metric: 's to install',
      value: spread(runs.map((r) => r.wall)),
      digits: 1,
      note,
    },
    {
      benchmark: NAME,
      tool,
      metric: 'MB peak RSS (largest process)',
      value: spread(runs.map((r) => r.rssMb)),
    },
  ];
}

function sizeRow(tool: string, mib: number, note: string): Row {
  return { benchmark: NAME, tool, metric: 'MiB installed', value: spread([mib]), digits: 1, note };
}

async function dpkgInstalls(deb: string, n: number): Promise<Sample[]> {
  return repeat(n, async () => {
    const sample = must(await timed(['dpkg', '-i', deb]), 'dpkg -i riposte');
    must(await timed(['dpkg', '--purge', 'riposte']), 'dpkg --purge riposte');
    return sample;
  });
}

async function debRows(ctx: Context, dir: string): Promise<Row[]> {
  const built = await timed([
    process.execPath,
    join(ROOT, 'dist/scripts/deb/build.js'),
    '--out',
    dir,
  ]);
  must(built, 'npm run deb');
  const deb = built.stdout.trim();
  const runs = await dpkgInstalls(deb, ctx.runs.short);
  must(await timed(['dpkg', '-i', deb]), 'dpkg -i riposte');
  try {
    const node = installedMiB('nodejs');
    const debMiB = duMiB(deb);
    return [
      ...costRows(
        'riposte .deb (dpkg -i)',
        runs,
        `built in ${built.wall.toFixed(1)} s (${built.cpu.toFixed(1)} s CPU); includes man-db's trigger; no compiler, no network`,
      ),
      sizeRow(
        'riposte .deb (dpkg -i)',
        installedMiB('riposte'),
        `the .deb: ${number(debMiB, 1)} MiB; plus Node.js (package nodejs: ${number(node, 1)} MiB installed)`,
      ),
      ...(await startups(ctx)),
    ];
  } finally {
    must(await timed(['dpkg', '--purge', 'riposte']), 'dpkg --purge riposte');
  }
}

async function npmRows(ctx: Context, dir: string): Promise<Row[]> {
  const tool = 'riposte npm install -g';
  if (ctx.quick) return [notMeasured(tool, 'compiles for minutes; skipped with --quick')];
  const packed = must(
    await timed(['npm', 'pack', '--ignore-scripts', '--pack-destination', dir]),
    'npm pack',
  );
  const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  const prefix = join(dir, 'prefix');
  const allow = [tarball, '@hanazuki/node-jsonnet', 'better-sqlite3', 're2'].join(',');
  const argv = [
    'npm',
    'install',
    '-g',
    '--prefix',
    prefix,
    '--no-audit',
    '--no-fund',
    `--allow-scripts=${allow}`,
    tarball,
  ];
  // Hours, not minutes, on a busy machine: the compilers share it.
  const run = must(await timed(argv, { cwd: dir, timeout: 4 * 3600 }), 'npm install -g');
  const size = duMiB(join(prefix, 'lib/node_modules/riposte'));
  return [
    ...costRows(
      tool,
      [run],
      `${run.cpu.toFixed(0)} s CPU: compiles libjsonnet, SQLite and RE2 (their prebuilt downloads fail here) and the spawner`,
    ),
    sizeRow(tool, size, 'du of lib/node_modules/riposte, build trees and sources included'),
  ];
}

/** fail2ban from Debian: apt-get's reinstall (download included) and dpkg -i of its .deb. */
async function fail2banRows(ctx: Context, dir: string): Promise<Row[]> {
  const tool = 'fail2ban (Debian)';
  if (!Number.isFinite(installedMiB('fail2ban'))) {
    return [notMeasured(tool, 'not installed (sh bench/install-tools.sh installs it)')];
  }
  const archives = join(dir, 'archives');
  sh(['mkdir', '-p', join(archives, 'partial')]);
  const apt = must(
    await timed(
      [
        'apt-get',
        'install',
        '--reinstall',
        '-y',
        '-q',
        '-o',
        `Dir::Cache::archives=${archives}`,
        'fail2ban',
      ],
      {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      },
    ),
    'apt-get install --reinstall fail2ban',
  );
  stopFail2ban();
  const deb = sh(['sh', '-c', `ls ${archives}/fail2ban_*.deb`]).out;
  const runs = await repeat(ctx.runs.short, async () => {
    const sample = must(await timed(['dpkg', '-i', deb]), 'dpkg -i fail2ban');
    stopFail2ban();
    return sample;
  });
  const python = [
    'python3',
    'python3.11',
    'python3-minimal',
    'python3.11-minimal',
    'libpython3.11-minimal',
    'libpython3.11-stdlib',
  ];
  const py = python
    .map(installedMiB)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
  return [
    {
      benchmark: NAME,
      tool: `${tool} apt-get install`,
      metric: 's to install',
      value: spread([apt.wall]),
      digits: 1,
      note: 'apt-get install --reinstall: download from the mirror, unpack, configure',
    },
    ...costRows(`${tool} (dpkg -i)`, runs, 'its .deb, as downloaded by apt-get'),
    sizeRow(
      `${tool} (dpkg -i)`,
      installedMiB('fail2ban'),
      `plus Python (${python.join(', ')}: ${number(py, 1)} MiB installed)`,
    ),
  ];
}

/** fail2ban's postinst may start its server where no service manager says otherwise. */
function stopFail2ban(): void {
  if (existsSync('/var/run/fail2ban/fail2ban.sock')) sh(['fail2ban-client', 'stop']);
}

function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (dpkg)';
  if (installedMiB('riposte') > 0 || existsSync('/usr/lib/riposte')) {
    return "riposte's package is installed on this machine: the benchmark would replace it";
  }
  return undefined;
}

export async function install(ctx: Context): Promise<Row[]> {
  const why = cannotRun();
  if (why !== undefined) return [notMeasured('riposte', why)];
  const dir = scratch('install');
  try {
    const parts: readonly [string, (c: Context, d: string) => Promise<Row[]>][] = [
      ['riposte .deb', debRows],
      ['riposte npm install -g', npmRows],
      ['fail2ban (Debian)', fail2banRows],
    ];
    const rows: Row[] = [];
    // A part that breaks costs its own rows, not the others'.
    for (const [tool, part] of parts) {
      rows.push(...(await part(ctx, dir).catch((e: Error) => [notMeasured(tool, e.message)])));
    }
    return rows;
  } finally {
    remove(dir);
  }
}
