// What the control tests share: the configuration they run, the state they build, and the
// clients that are not the plain CLI (raw bytes on the socket; the CLI as another user).
// The daemon, its sandbox and the CLI come from the black-box harness of test/daemon/.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import type { TestContext } from 'node:test';
import {
  type Config,
  DEADLINE,
  type Daemon,
  type Fifo,
  MAIN,
  type Sandbox,
  sandbox,
} from '../daemon/harness.js';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Stream s reads in.fifo. Filter failed bans an address at its 3rd failure and unbans it an
 * hour later; filter login warns about a user and address seen twice, an hour later; the
 * marker filter tells when every line before it was handled (see Sandbox.mark).
 */
export function config(sb: Sandbox, fifo: Fifo, extra: Config = {}): Config {
  return {
    concurrency: 1,
    patterns: {
      ip: { type: 'ip', ignore: ['127.0.0.1'], ignorecidr: ['10.0.0.0/8'] },
      user: { regex: '[a-z]+' },
      n: { regex: '[0-9]+' },
    },
    streams: {
      s: {
        cmd: ['cat', fifo.path],
        filters: {
          failed: {
            regex: ['fail from <ip>'],
            retry: 3,
            retryperiod: '1h',
            actions: {
              ban: { cmd: sb.cmd('record', 'actions.log', 'ban', '<ip>') },
              unban: { cmd: sb.cmd('record', 'actions.log', 'unban', '<ip>'), after: '1h' },
            },
          },
          login: {
            regex: ['login <user> from <ip>'],
            retry: 2,
            retryperiod: '1h',
            actions: {
              warn: { cmd: sb.cmd('record', 'actions.log', 'warn', '<user>'), after: '1h' },
            },
          },
          marker: sb.markerFilter(),
        },
      },
    },
    ...extra,
  };
}

/** The lines that give the state most tests start from (see `expected`). */
export const LINES = [
  'fail from 192.0.2.1',
  'fail from 192.0.2.1',
  'fail from 192.0.2.1',
  'fail from 192.0.2.2',
  'login bob from 192.0.2.3',
  'login eve from 192.0.2.4',
  'login eve from 192.0.2.4',
];

/** When the two triggers of LINES fired (`triggered`), as `show` prints it. */
export interface Fired {
  readonly failed: string;
  readonly login: string;
}

/**
 * What `show -f json` prints after LINES, given the due times of the two pending actions and
 * when their triggers fired: counted matches first, then those with triggers in effect;
 * "user=… ip=…" for login.
 */
export function expected(unban: string, warn: string, fired: Fired) {
  return {
    s: {
      failed: {
        '192.0.2.2': { matches: 1 },
        '192.0.2.1': { triggered: [fired.failed], actions: { unban: [unban] } },
      },
      login: {
        'user=bob ip=192.0.2.3': { matches: 1 },
        'user=eve ip=192.0.2.4': { triggered: [fired.login], actions: { warn: [warn] } },
      },
    },
  };
}

/** The same in YAML, as `show` prints it by default. */
export function expectedYaml(unban: string, warn: string, fired: Fired): string {
  return [
    's:',
    '  failed:',
    '    192.0.2.2:',
    '      matches: 1',
    '    192.0.2.1:',
    `      triggered: [ ${fired.failed} ]`,
    '      actions:',
    `        unban: [ ${unban} ]`,
    '  login:',
    '    user=bob ip=192.0.2.3:',
    '      matches: 1',
    '    user=eve ip=192.0.2.4:',
    `      triggered: [ ${fired.login} ]`,
    '      actions:',
    `        warn: [ ${warn} ]`,
    '',
  ].join('\n');
}

/** A sandbox whose daemon runs `config`. */
export async function running(t: TestContext) {
  const sb = sandbox(t);
  const fifo = sb.fifo();
  const daemon = await sb.started(config(sb, fifo));
  return { sb, fifo, daemon };
}

/** Sends LINES and waits until they are handled; returns the due times `show` prints. */
export async function populate(sb: Sandbox, fifo: Fifo, daemon: Daemon) {
  const before = Date.now();
  fifo.write(...LINES);
  await sb.mark(fifo, daemon);
  const after = Date.now();
  const r = await sb.cli('show', '-f', 'json');
  assert.equal(r.code, 0, r.stderr);
  const printed = JSON.parse(r.stdout);
  const unban: string = printed.s.failed['192.0.2.1'].actions.unban[0];
  const warn: string = printed.s.login['user=eve ip=192.0.2.4'].actions.warn[0];
  const fired: Fired = {
    failed: printed.s.failed['192.0.2.1'].triggered[0],
    login: printed.s.login['user=eve ip=192.0.2.4'].triggered[0],
  };
  // Each fired an hour before its action is due (`after: 1h`).
  assert.equal(Date.parse(fired.failed), Date.parse(unban) - 3_600_000);
  assert.equal(Date.parse(fired.login), Date.parse(warn) - 3_600_000);
  for (const time of [unban, warn]) {
    assert.match(time, ISO_LOCAL);
    // Due an hour after the trigger, which happened between `before` and `after`.
    const due = Date.parse(time);
    assert.ok(due >= before + 3_600_000 && due <= after + 3_600_000, time);
    assert.equal(offsetOf(time), new Date(due).getTimezoneOffset());
  }
  return { unban, warn, fired };
}

/** The offset written in an ISO 8601 time, as getTimezoneOffset() counts it. */
function offsetOf(time: string): number {
  const [, sign, hh, mm] = /([+-])(\d\d):(\d\d)$/.exec(time)!;
  return (sign === '+' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) + 0;
}

/** ISO 8601 with milliseconds and the offset of the local zone. */
export const ISO_LOCAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;

/**
 * Writes bytes on a new connection to the socket, then ends the connection (half-close),
 * destroys it, or keeps it open until the daemon closes; resolves with what the daemon
 * wrote back before the connection closed.
 */
export function exchange(
  socket: string,
  data: string | Buffer,
  then: 'end' | 'destroy' | 'keep',
): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    const connection = createConnection(socket);
    const timer = setTimeout(() => {
      connection.destroy();
      fail(new Error(`no close from the daemon within ${DEADLINE} ms`));
    }, DEADLINE);
    connection.on('connect', () => {
      connection.write(data);
      if (then === 'end') connection.end();
      if (then === 'destroy') connection.destroy();
    });
    connection.on('data', (chunk: Buffer) => chunks.push(chunk));
    connection.on('error', () => undefined);
    connection.on('close', () => {
      clearTimeout(timer);
      done(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** Runs the CLI as another user (setpriv: no login, no groups) with this environment. */
export function cliAs(uid: number, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, MAIN, ...args],
      { env, timeout: DEADLINE },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}
