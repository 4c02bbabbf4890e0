// The end-to-end laboratory: two network namespaces joined by a veth pair, a server running
// Debian's OpenSSH server and a client failing to log in to it, riposte started inside the
// server namespace on a configuration of test/e2e/fixtures/, and probes of what the kernel
// lets through. Owns the namespaces and every process it started, and removes them after
// each test, whether it passed or not.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  appendFileSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  DEADLINE,
  DELAY_FACTORS,
  Daemon,
  lastTry,
  MAIN,
  ROOT,
  type Report,
  Sandbox,
  sleep,
  TooSlow,
  until,
} from '../daemon/harness.js';

export type Family = 'ipv4' | 'ipv6';
/** Which listing shows the rules: `nft list ruleset`, or iptables, ip6tables and ipset. */
export type Firewall = 'nftables' | 'xtables';
/** What a TCP connection from the client to port 22 meets. */
export type Reach = 'open' | 'dropped' | 'refused';

export interface Side {
  readonly server: string;
  readonly client: string;
}

/** The account the client fails to log in to: it exists everywhere, so each try is one line. */
export const USER = 'nobody';
const FIXTURES = join(ROOT, 'test/e2e/fixtures');
/** A banned connection attempt hangs: after this long it counts as dropped. */
const PROBE_SECONDS = 3;
const BASE_TOOLS = ['ip', 'sshd', 'ssh', 'ssh-keygen', 'sshpass', 'bash', 'timeout', 'tail'];
const SSH_OPTIONS = [
  '-F',
  '/dev/null',
  ...['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'LogLevel=ERROR'],
  ...['PreferredAuthentications=password', 'PubkeyAuthentication=no'],
  ...['NumberOfPasswordPrompts=1', 'ConnectTimeout=5'],
].flatMap((o) => (o.startsWith('-') || o.startsWith('/') ? [o] : ['-o', o]));

/** PATH with the sbin directories, where sshd and the firewall tools live. */
const PATH = [
  ...new Set([
    ...(process.env['PATH'] ?? '').split(delimiter),
    '/usr/local/sbin',
    '/usr/sbin',
    '/sbin',
  ]),
]
  .filter((dir) => dir !== '')
  .join(delimiter);

export function which(tool: string): string | undefined {
  for (const dir of PATH.split(delimiter)) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return join(dir, tool);
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/** Why the end-to-end tests cannot run on this machine (not root, a tool missing), or false. */
export function cannotRun(tools: readonly string[]): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and firewall rules)';
  const missing = [...BASE_TOOLS, ...tools].filter((tool) => which(tool) === undefined);
  return missing.length === 0 ? false : `not installed: ${missing.join(', ')}`;
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeout` ms); never throws. */
export function run(
  argv: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      {
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        env: options.env ?? process.env,
        timeout: options.timeout ?? DEADLINE,
        killSignal: 'SIGKILL',
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

function must(argv: readonly string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, PATH } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A log line of riposte saying that the action NAME… ran for `client` (ban4, unban, …). */
export function actionLine(name: 'ban' | 'unban', client: string): RegExp {
  return new RegExp(
    `ssh\\.failedlogin\\.${name}\\w*: .*(?<![\\w.:])${escapeRegex(client)}(?![\\w:])`,
  );
}

/** The single pending unban of `client` in a `show` report, or undefined. */
export function pendingUnban(report: Report, client: string): number | undefined {
  const actions = report['ssh']?.['failedlogin']?.[client]?.actions ?? {};
  const times = Object.entries(actions)
    .filter(([name]) => name.startsWith('unban'))
    .flatMap(([, due]) => due);
  assert.ok(times.length <= 1, `one pending unban at most: ${JSON.stringify(report)}`);
  return times[0];
}

/** The log lines at level ERROR: none is expected from a configuration that works. */
export function errors(daemon: Daemon): string[] {
  return daemon.logLines(/^\S+ ERROR /);
}

/** Two namespaces, an SSH server in one, a client in the other, riposte beside the server. */
export class Lab {
  readonly sb = new Sandbox();
  readonly id = randomBytes(3).toString('hex');
  readonly server = `rip-s-${this.id}`;
  readonly client = `rip-c-${this.id}`;
  readonly addresses: Readonly<Record<Family, Side>>;
  readonly sshLog = this.sb.path('sshd.log');
  readonly #env = { ...process.env, PATH, RIPOSTE_TEST_SANDBOX: this.sb.dir };
  readonly #namespaces: string[] = [];
  readonly #daemons: Daemon[] = [];
  readonly #pids: number[] = [];
  #markers = 0;

  constructor() {
    const [a, b] = [...randomBytes(2)].map((n) => 1 + (n % 254));
    this.addresses = {
      ipv4: { server: `10.${a}.${b}.1`, client: `10.${a}.${b}.2` },
      ipv6: { server: `fd00:${a}:${b}::1`, client: `fd00:${a}:${b}::2` },
    };
  }

  /** The namespaces, the veth pair between them and their addresses. */
  up(): void {
    const links = { [this.server]: `rs-${this.id}`, [this.client]: `rc-${this.id}` };
    for (const ns of [this.server, this.client]) {
      this.#namespaces.push(ns);
      must(['ip', 'netns', 'add', ns]);
    }
    const [rs, rc] = [links[this.server]!, links[this.client]!];
    must([
      'ip',
      'link',
      'add',
      rs,
      'netns',
      this.server,
      'type',
      'veth',
      'peer',
      'name',
      rc,
      'netns',
      this.client,
    ]);
    for (const [ns, side] of [
      [this.server, 'server'],
      [this.client, 'client'],
    ] as const) {
      const link = links[ns]!;
      must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      must(['ip', '-n', ns, 'addr', 'add', `${this.addresses.ipv4[side]}/24`, 'dev', link]);
      const v6 = `${this.addresses.ipv6[side]}/64`;
      must(['ip', '-n', ns, 'addr', 'add', v6, 'dev', link, 'nodad']);
      must(['ip', '-n', ns, 'link', 'set', link, 'up']);
    }
  }

  /** Starts sshd in the server namespace, with a host key and a configuration of its own. */
  async sshd(): Promise<void> {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const key = this.sb.path('ssh_host_ed25519_key');
    must(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const config = this.sb.path('sshd_config');
    writeFileSync(config, sshdConfig(this, key));
    const argv = [which('sshd')!, '-D', '-f', config, '-E', this.sshLog];
    const child = this.#spawn(this.server, argv, 'ignore');
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    await until('sshd to listen on both addresses', undefined, () => {
      const log = this.#sshdLog();
      if (exited) throw new Error(`sshd exited:\n${log}`);
      const listening = (a: string) => log.includes(`Server listening on ${a} port 22.`);
      return listening(this.addresses.ipv4.server) && listening(this.addresses.ipv6.server)
        ? true
        : undefined;
    });
  }

  /** The lines sshd logged that contain `fragment`. */
  sshdLines(fragment: string): string[] {
    return this.#sshdLog()
      .split('\n')
      .filter((line) => line.includes(fragment));
  }

  /** `count` failed password logins of the client over `family`, each seen in sshd's log. */
  async failLogins(family: Family, count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.#failLogin(family);
  }

  async #failLogin(family: Family): Promise<void> {
    const { server, client } = this.addresses[family];
    const failed = `Failed password for ${USER} from ${client} port `;
    const before = this.sshdLines(failed).length;
    const ssh = ['sshpass', '-p', 'wrong password', 'ssh', ...SSH_OPTIONS, `${USER}@${server}`];
    const r = await this.inClient([...ssh, 'true']);
    assert.notEqual(r.code, 0, `a login with a wrong password succeeded: ${r.stdout}`);
    await until(`sshd to log a failed login from ${client}`, undefined, () =>
      this.sshdLines(failed).length > before ? true : undefined,
    );
  }

  /** What a TCP connection from the client to the server's port 22 meets now. */
  async probe(family: Family): Promise<Reach> {
    const connect = ['bash', '-c', 'exec 3<>"/dev/tcp/$0/22"', this.addresses[family].server];
    const r = await this.inClient(['timeout', String(PROBE_SECONDS), ...connect]);
    return r.code === 0 ? 'open' : r.code === 124 ? 'dropped' : 'refused';
  }

  /**
   * Probes until connections over `family` meet `want`. With `before`, a deadline in ms since
   * the epoch after which the state looked for may already be over, it throws TooSlow then.
   */
  async waitReach(
    family: Family,
    want: Reach,
    options: { before?: number; deadline?: number } = {},
  ): Promise<void> {
    const end = Date.now() + (options.deadline ?? DEADLINE);
    for (;;) {
      if (options.before !== undefined && Date.now() >= options.before)
        throw new TooSlow(`connections over ${family} were not ${want} in time`);
      const got = await this.probe(family);
      if (got === want) return;
      if (Date.now() > end) {
        const to = this.addresses[family].server;
        assert.fail(`connections to ${to} port 22 are ${got}, not ${want}${await this.diagnose()}`);
      }
      await sleep(100);
    }
  }

  /** Waits until `show` counts `count` matches for `client`. */
  async waitMatches(client: string, count: number): Promise<void> {
    const end = Date.now() + DEADLINE;
    for (;;) {
      const report = await this.sb.show();
      if (report['ssh']?.['failedlogin']?.[client]?.matches === count) return;
      if (Date.now() > end)
        assert.fail(`not ${count} matches for ${client}: ${JSON.stringify(report)}`);
      await sleep(50);
    }
  }

  /** Waits until the daemon has no action running or waiting. */
  async idle(): Promise<void> {
    const end = Date.now() + DEADLINE;
    for (;;) {
      const r = await this.sb.cli('status', '-f', 'json');
      assert.equal(r.code, 0, r.stderr);
      const { running, waiting } = (JSON.parse(r.stdout) as { actions: Record<string, number> })
        .actions;
      if (running === 0 && waiting === 0) return;
      if (Date.now() > end) assert.fail(`actions still running: ${r.stdout}`);
      await sleep(50);
    }
  }

  /** The firewall of the server namespace, as its listing tools print it. */
  async firewall(kind: Firewall): Promise<string> {
    const listings =
      kind === 'nftables'
        ? [['nft', 'list', 'ruleset']]
        : [
            ['iptables', '-w', '-S'],
            ['ip6tables', '-w', '-S'],
            ...(which('ipset') === undefined ? [] : [['ipset', 'save']]),
          ];
    const parts: string[] = [];
    for (const argv of listings) {
      const r = await this.inServer(argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      // A set made again gets a new hash seed: the same set all the same.
      parts.push(`# ${argv.join(' ')}\n${r.stdout.replace(/ initval 0x[0-9a-f]+/g, '')}`);
    }
    return parts.join('\n');
  }

  /**
   * Copies a fixture (a file, or a directory of files) into the sandbox with its @NAME@
   * placeholders replaced: @LOG@ (sshd's log), @STATE@ (the state directory), then `values`.
   */
  config(fixture: string, values: Readonly<Record<string, string>> = {}): string {
    const all: Record<string, string> = {
      LOG: this.sshLog,
      STATE: this.sb.path('state'),
      ...values,
    };
    const from = join(FIXTURES, fixture);
    const to = this.sb.path(fixture);
    const files = statSync(from).isDirectory() ? readdirSync(from) : [''];
    if (files[0] !== '') mkdirSync(to);
    for (const file of files) {
      const text = readFileSync(join(from, file), 'utf8').replace(/@([A-Z]+)@/g, (_, name) => {
        const value = all[name];
        if (value === undefined) throw new Error(`${fixture}: no value for @${name}@`);
        return value;
      });
      writeFileSync(join(to, file), text);
    }
    return to;
  }

  /** Starts riposte in the server namespace and waits until it reads sshd's new lines. */
  async riposte(config: string): Promise<Daemon> {
    const argv = [process.execPath, MAIN, 'start', '-c', config, '-s', this.sb.socket];
    const child = this.#spawn(this.server, [...argv, '-l', 'DEBUG'], 'pipe');
    const daemon = new Daemon(this.sb, child.pid!, child);
    this.#daemons.push(daemon);
    await daemon.waitLog(/INFO {2}riposte \S+ started: /);
    await this.#reading(daemon);
    return daemon;
  }

  /**
   * `tail -Fn0` reads from where the file ends when it opens it, which may be after riposte
   * says it started: a line appended and seen in riposte's log proves it reads what follows.
   */
  async #reading(daemon: Daemon): Promise<void> {
    let next = 0;
    const written: string[] = [];
    await until('riposte to read the lines sshd logs', daemon, () => {
      if (!daemon.running) throw new Error(`riposte exited:\n${daemon.log}`);
      if (written.some((m) => daemon.log.includes(`stream ssh: ${m}\n`))) return true;
      if (Date.now() >= next) {
        written.push(`riposte-e2e ready ${++this.#markers}`);
        appendFileSync(this.sshLog, `${written.at(-1)}\n`);
        next = Date.now() + 500;
      }
      return undefined;
    });
  }

  inClient(argv: readonly string[]): Promise<Ran> {
    return run(['ip', 'netns', 'exec', this.client, ...argv], { env: this.#env });
  }

  inServer(argv: readonly string[]): Promise<Ran> {
    return run(['ip', 'netns', 'exec', this.server, ...argv], { env: this.#env });
  }

  /** What went on, for a failure message: riposte's logs, sshd's log, the firewall. */
  async diagnose(): Promise<string> {
    const logs = this.#daemons.map((d, i) => `\n--- riposte log ${i + 1} ---\n${d.log}`);
    const nft = await this.inServer(['nft', 'list', 'ruleset']);
    const ipt = await this.inServer(['iptables', '-w', '-S']);
    return `${logs.join('')}\n--- sshd log ---\n${this.#sshdLog()}\n--- firewall ---\n${nft.stdout}\n${ipt.stdout}`;
  }

  /** Kills what the lab started, removes its files and namespaces (with their rules). */
  close(): void {
    for (const daemon of this.#daemons.splice(0)) daemon.killNow();
    for (const pid of this.#pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // The sandbox kills every process that carries its mark: sshd's sessions, riposte's streams.
    this.sb.cleanup();
    for (const ns of this.#namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
  }

  #spawn(ns: string, argv: readonly string[], stdio: 'ignore' | 'pipe') {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: this.sb.dir,
      env: this.#env,
      stdio: ['ignore', stdio, stdio],
    });
    if (child.pid !== undefined) this.#pids.push(child.pid);
    return child;
  }

  #sshdLog(): string {
    return existsSync(this.sshLog) ? readFileSync(this.sshLog, 'utf8') : '';
  }
}

function sshdConfig(lab: Lab, key: string): string {
  const lines = [
    'Port 22',
    `ListenAddress ${lab.addresses.ipv4.server}`,
    `ListenAddress ${lab.addresses.ipv6.server}`,
    `HostKey ${key}`,
    `PidFile ${lab.sb.path('sshd.pid')}`,
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin no',
    'MaxAuthTries 1',
    'LogLevel VERBOSE',
  ];
  // From OpenSSH 9.8 sshd itself refuses, for a while, a source whose logins failed: the
  // client's next tries would never reach the log riposte reads.
  if (opensshAtLeast(9, 8)) lines.push('PerSourcePenalties no');
  return `${lines.join('\n')}\n`;
}

function opensshAtLeast(major: number, minor: number): boolean {
  const r = spawnSync(which('sshd')!, ['-V'], { encoding: 'utf8' });
  const version = /OpenSSH_(\d+)\.(\d+)/.exec(`${r.stdout}${r.stderr}`);
  if (version === null) return false;
  const [have, sub] = [Number(version[1]), Number(version[2])];
  return have > major || (have === major && sub >= minor);
}

/** A lab with sshd running, removed when the test ends. */
export async function openLab(t: TestContext): Promise<Lab> {
  const lab = new Lab();
  t.after(() => lab.close());
  lab.up();
  await lab.sshd();
  return lab;
}

/**
 * Runs a timed scenario in a new lab with `delay` ms, then 3 and 9 times as long while it
 * throws TooSlow: the bans last seconds, and a slow machine only makes the test slower
 * (unless RIPOSTE_STRICT_TIMING is set: see the harness).
 */
export async function patientLab(
  t: TestContext,
  delay: number,
  scenario: (lab: Lab, delay: number) => Promise<void>,
): Promise<void> {
  for (const factor of DELAY_FACTORS) {
    const lab = await openLab(t);
    try {
      await scenario(lab, delay * factor);
      return;
    } catch (error) {
      if (!(error instanceof TooSlow)) throw error;
      if (factor === DELAY_FACTORS.at(-1)) throw lastTry(error);
      t.diagnostic(`too slow with bans of ${delay * factor} ms (${error.message}): again, slower`);
    } finally {
      lab.close();
    }
  }
}
