// `npm run deb`: builds riposte_VERSION_ARCH.deb with dpkg-deb from a tree laid out here, for
// the architecture of this machine and the major version of the Node that runs the build.
// Options: `--out DIR` (default: the repository), `--version V` (default: package.json's).
// Receives the built repository (dist/, node_modules/ from `npm ci`); sends the package's
// path on stdout, progress on stderr.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { controlFile, conffiles, installedSize, md5sums, readmeDescription } from './control.js';
import { copyrightFile, undescribed } from './copyright.js';
import { layDependencies } from './dependencies.js';
import { elfFiles, shlibDepends, strip } from './elf.js';
import {
  type Build,
  DOC,
  fixModes,
  LIB,
  layCode,
  layCompletion,
  layDocs,
  layManPages,
  HELPERS,
  layHelpers,
  laySystem,
} from './layout.js';
import { must } from './run.js';

/** The repository: this file runs from dist/scripts/deb/. */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TOOLS: Readonly<Record<string, string>> = {
  'dpkg-deb': 'dpkg',
  'dpkg-shlibdeps': 'dpkg-dev',
  'dpkg-buildflags': 'dpkg-dev',
  strip: 'binutils',
  readelf: 'binutils',
  patchelf: 'patchelf',
};
const RECOMMENDS = ['nftables', 'ipset', 'iptables'];
const SCRIPTS = ['postinst', 'prerm', 'postrm'];

interface Options {
  readonly out: string;
  readonly version: string;
}

function parseArgs(argv: readonly string[]): Options {
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
    version: string;
  };
  let out = REPO;
  let version = manifest.version;
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`option ${argv[i]} needs a value`);
    if (argv[i] === '--out') out = resolve(value);
    else if (argv[i] === '--version') version = value;
    else throw new Error(`unknown option ${argv[i]}: expected --out DIR or --version V`);
  }
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) {
    throw new Error(
      `cannot use "${version}" as a Debian version: digits first, then [A-Za-z0-9.+~]`,
    );
  }
  return { out, version };
}

function missingTools(): string[] {
  return Object.entries(TOOLS)
    .filter(([tool]) => {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
        return false;
      } catch {
        return true;
      }
    })
    .map(([tool, pkg]) => `${tool} (Debian package ${pkg})`);
}

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Seconds since the epoch of the build: SOURCE_DATE_EPOCH, else the commit's, else now. */
function epoch(): number {
  const given = process.env['SOURCE_DATE_EPOCH'] ?? git(['log', '-1', '--format=%ct']);
  return given !== undefined && /^\d+$/.test(given) ? Number(given) : Math.floor(Date.now() / 1000);
}

/**
 * Who answers for the package: DEBFULLNAME and DEBEMAIL as dch reads them, else the author of
 * the commit built, so that two builds of one commit agree wherever they run.
 */
function maintainer(): string {
  const name = process.env['DEBFULLNAME'] ?? git(['log', '-1', '--format=%an']);
  const email = process.env['DEBEMAIL'] ?? git(['log', '-1', '--format=%ae']);
  if (!name || !email) {
    throw new Error(
      'cannot name the maintainer: set DEBFULLNAME and DEBEMAIL (outside a git checkout)',
    );
  }
  return `${name} <${email}>`;
}

function changelog(version: string, who: string, seconds: number): string {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const date = new Date(seconds * 1000).toUTCString().replace(/GMT$/, '+0000');
  const what =
    commit === undefined ? `riposte ${version}.` : `riposte ${version}, from commit ${commit}.`;
  return `riposte (${version}) unstable; urgency=medium\n\n  * ${what}\n\n -- ${who}  ${date}\n`;
}

/** The native modules are built against this Node's ABI: its major version, no other. */
function nodeDepends(): string[] {
  const major = Number(process.versions.node.split('.')[0]);
  return [`nodejs (>= ${major})`, `nodejs (<< ${major + 1})`];
}

function layDebian(b: Build, who: string, depends: readonly string[]): void {
  const debian = join(b.root, 'DEBIAN');
  mkdirSync(debian, { recursive: true });
  for (const script of SCRIPTS)
    copyFileSync(join(REPO, 'packaging/deb', script), join(debian, script));
  const etc = conffiles(b.root);
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const control = controlFile({
    version: b.version,
    architecture: must(['dpkg', '--print-architecture']).trim(),
    maintainer: who,
    depends,
    recommends: RECOMMENDS,
    installedSize: installedSize(b.root),
    synopsis: 'log scanner that bans the addresses of repeated offenders',
    description: readmeDescription(readme),
  });
  writeFileSync(join(debian, 'control'), control);
  writeFileSync(join(debian, 'conffiles'), etc.map((f) => `${f}\n`).join(''));
  writeFileSync(join(debian, 'md5sums'), md5sums(b.root, etc));
  for (const script of SCRIPTS) must(['chmod', '0755', join(debian, script)]);
  must(['chmod', '0644', ...['control', 'conffiles', 'md5sums'].map((f) => join(debian, f))]);
}

function build(options: Options, say: (line: string) => void): string {
  const missing = missingTools();
  if (missing.length > 0)
    throw new Error(`cannot build the package: missing ${missing.join(', ')}`);
  const work = mkdtempSync(join(tmpdir(), 'riposte-deb-'));
  try {
    const seconds = epoch();
    const root = join(work, 'debian', 'riposte');
    const b: Build = {
      repo: REPO,
      root,
      version: options.version,
      date: new Date(seconds * 1000).toISOString().slice(0, 10),
    };
    const who = maintainer();
    // dpkg-shlibdeps wants a source package around the tree it reads.
    mkdirSync(join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(
      join(work, 'debian', 'control'),
      'Source: riposte\n\nPackage: riposte\nArchitecture: any\n',
    );
    layCode(b);
    layHelpers(b);
    const shipped = layDependencies(REPO, root, work, say);
    laySystem(b);
    layDocs(b, changelog(b.version, who, seconds));
    layManPages(b);
    layCompletion(b);
    const template = readFileSync(join(REPO, 'packaging/deb/copyright'), 'utf8');
    const compiled = elfFiles(root).map((f) => relative(root, f));
    const vague = undescribed(
      template,
      compiled.filter((f) => f.includes('/node_modules/')),
    );
    if (vague.length > 0)
      throw new Error(`packaging/deb/copyright does not say what ${vague.join(', ')} contain`);
    writeFileSync(
      join(root, DOC, 'copyright'),
      copyrightFile(
        template,
        shipped.packages.map((p) => ({ installed: `${LIB}/${p}`, dir: join(shipped.source, p) })),
      ),
    );
    for (const helper of HELPERS) strip(join(root, LIB, 'build', helper));
    // main.js keeps its #! line, for whoever runs it directly, so it is a program too.
    const helpers = HELPERS.map((h) => `${LIB}/build/${h}`);
    fixModes(root, ['usr/bin/riposte', ...helpers, `${LIB}/dist/bundle/main.js`]);
    const depends = [...nodeDepends(), ...shlibDepends(work, elfFiles(root)).split(', ')];
    layDebian(b, who, depends);
    mkdirSync(options.out, { recursive: true });
    const arch = must(['dpkg', '--print-architecture']).trim();
    const deb = join(options.out, `riposte_${options.version}_${arch}.deb`);
    // xz at level 1: 10 % larger than at its default 6, four times faster (the tests build twice).
    must(['dpkg-deb', '--root-owner-group', '-Zxz', '-z1', '--build', root, deb], {
      env: { ...process.env, SOURCE_DATE_EPOCH: String(seconds) },
    });
    say(`riposte: built ${deb} (${(statSync(deb).size / 2 ** 20).toFixed(1)} MiB)`);
    return deb;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  const deb = build(parseArgs(process.argv.slice(2)), (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${deb}\n`);
} catch (error) {
  process.stderr.write(`riposte: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
