// systemd's notify protocol (sd_notify(3)): READY=1 once the state is restored and the
// streams read, RELOADING=1 and READY=1 around a reload, STATUS= with a one-line summary,
// STOPPING=1 at shutdown, and WATCHDOG=1 from the event loop at half of $WATCHDOG_USEC.
// Owns the address of $NOTIFY_SOCKET, the watchdog timer and the way datagrams leave (the
// native helper, else `systemd-notify`); receives the daemon's life events; sends datagrams.

import { execFile } from 'node:child_process';
import { log } from '../lib/log.js';
import { Spawner } from './spawner.js';

/** Without a watchdog, how often a changed STATUS= line is sent. */
const STATUS_EVERY = 30_000;

type Send = (message: string) => Promise<string | undefined>;

export class Notifier {
  readonly #address: string;
  /** Half of WATCHDOG_USEC, in ms; undefined without a watchdog. */
  readonly keepAlive: number | undefined;
  readonly #send: Send;
  readonly #close: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #status = '';
  #failing = false;
  /** Messages leave one after the other, in order. */
  #queue: Promise<void> = Promise.resolve();

  private constructor(address: string, keepAlive: number | undefined, helper: Spawner | undefined) {
    this.#address = address;
    this.keepAlive = keepAlive;
    if (helper === undefined) {
      this.#send = (message) => viaProgram(address, message);
      this.#close = () => Promise.resolve();
    } else {
      this.#send = (message) => new Promise((sent) => helper.notify(address, message, sent));
      this.#close = () => helper.close();
    }
  }

  /**
   * The notifier systemd asked for through the environment, or undefined when riposte does
   * not run under it. The variables are removed from the environment, as sd_notify's
   * `unset_environment` does: actions and streams are not the service and must not speak for it.
   * `helper`: the native helper the datagrams leave through (none: `systemd-notify`).
   */
  static fromEnvironment(
    env: NodeJS.ProcessEnv = process.env,
    helper: () => Spawner | undefined = () => Spawner.start(),
  ): Notifier | undefined {
    const address = env['NOTIFY_SOCKET'];
    const usec = Number(env['WATCHDOG_USEC']);
    const pid = env['WATCHDOG_PID'];
    for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete env[name];
    if (address === undefined || address === '') return undefined;
    if (!address.startsWith('/') && !address.startsWith('@')) {
      log(
        'WARN',
        `notify: NOTIFY_SOCKET=${address} is not a unix socket path: systemd is not told of riposte's state`,
      );
      return undefined;
    }
    const mine = pid === undefined || pid === '' || Number(pid) === process.pid;
    const keepAlive =
      mine && Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : undefined;
    return new Notifier(address, keepAlive, helper());
  }

  /** Ready: the state is restored and the streams started (or a reload is over). */
  ready(status: string): Promise<void> {
    this.#status = status;
    return this.#notify(`READY=1\nSTATUS=${status}`);
  }

  /** A reload begins; systemd 253 and later want the time it began with it. */
  reloading(): Promise<void> {
    const usec = process.hrtime.bigint() / 1000n;
    return this.#notify(`RELOADING=1\nMONOTONIC_USEC=${usec}\nSTATUS=reloading the configuration`);
  }

  stopping(): Promise<void> {
    this.#stopTimer();
    return this.#notify('STOPPING=1\nSTATUS=stopping');
  }

  /**
   * Starts the keep-alives (and the STATUS= updates): the timer runs on the event loop, so a
   * loop that is stuck sends none and systemd restarts riposte.
   */
  watch(statusOf: () => string): void {
    this.#stopTimer();
    const every = this.keepAlive ?? STATUS_EVERY;
    this.#timer = setInterval(() => {
      const status = statusOf();
      const parts = this.keepAlive === undefined ? [] : ['WATCHDOG=1'];
      if (status !== this.#status) parts.push(`STATUS=${status}`);
      this.#status = status;
      if (parts.length > 0) void this.#notify(parts.join('\n'));
    }, every);
    this.#timer.unref();
  }

  /** After the last message: stops the timer and the helper. */
  async close(): Promise<void> {
    this.#stopTimer();
    await this.#queue;
    await this.#close();
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #notify(message: string): Promise<void> {
    this.#queue = this.#queue.then(async () => {
      const error = await this.#send(message);
      if (error === undefined) {
        if (this.#failing) log('INFO', `notify: ${this.#address} takes messages again`);
        this.#failing = false;
      } else if (!this.#failing) {
        this.#failing = true;
        log('WARN', `notify: cannot send to NOTIFY_SOCKET ${this.#address}: ${error}`);
      }
    });
    return this.#queue;
  }
}

/**
 * Without the native helper: one `systemd-notify` process per message (the unit's
 * `NotifyAccess=all` lets it speak for riposte).
 */
function viaProgram(address: string, message: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(
      'systemd-notify',
      message.split('\n'),
      { env: { ...process.env, NOTIFY_SOCKET: address }, timeout: 10_000 },
      (error, _stdout, stderr) => {
        if (error === null) done(undefined);
        else done(`systemd-notify: ${stderr.trim() || error.message}`);
      },
    );
  });
}
