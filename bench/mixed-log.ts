// The mixed log of the library replay benchmark: genlog's sshd lines with nginx error-log
// and postfix lines woven in, deterministically (a seeded generator, no clock). Receives the
// number of lines; sends the path of the file, made once and cached beside genlog's.

import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, genlog } from './measure.js';

/** The share of each service, drawn line by line: sshd (genlog's lines, in order), nginx, and postfix the rest. */
const SSHD_SHARE = 0.6;
const NGINX_SHARE = 0.2;

/** A 32-bit generator (mulberry32): the same lines on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = ['admin', 'root', 'test', 'info', 'webmaster', 'bob', 'alice', 'support'];
const PATHS = ['/', '/admin/', '/private/', '/wp-login.php', '/favicon.ico', '/api/v1/items'];

class Lines {
  readonly #next: () => number;
  readonly #attackers: string[];

  constructor(seed: number) {
    this.#next = random(seed);
    this.#attackers = Array.from({ length: 2000 }, () => this.#ip());
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  #ip(): string {
    const n = () => Math.floor(this.#next() * 254) + 1;
    return `${n()}.${n()}.${n()}.${n()}`;
  }

  /** An attacker's address one time in ten, else anyone's. */
  address(failure: boolean): string {
    return failure ? this.pick(this.#attackers) : this.#ip();
  }

  id(): number {
    return 1000 + Math.floor(this.#next() * 30_000);
  }

  /** nginx's error.log at syslog date `month day time` (genlog's year is taken as 2024). */
  nginx(month: number, day: number, time: string): string {
    const date = `2024/${String(month + 1).padStart(2, '0')}/${String(day).padStart(2, '0')} ${time}`;
    const failure = this.chance(0.3);
    const ip = this.address(failure);
    const path = this.pick(PATHS);
    const tail = `client: ${ip}, server: www.example.org, request: "GET ${path} HTTP/1.1", host: "www.example.org"`;
    const start = `${date} [error] ${this.id()}#0: *${this.id()}`;
    if (!failure)
      return this.chance(0.5)
        ? `${start} open() "/usr/share/nginx/html${path}index.html" failed (2: No such file or directory), ${tail}`
        : `${date} [notice] ${this.id()}#0: signal process started`;
    const user = this.pick(USERS);
    return this.pick([
      `${start} user "${user}": password mismatch, ${tail}`,
      `${start} user "${user}" was not found in "/etc/nginx/.htpasswd", ${tail}`,
      `${start} limiting requests, excess: 0.${this.id()} by zone "one", ${tail}`,
      `${start} no user/password was provided for basic authentication, ${tail}`,
    ]);
  }

  /** A postfix line at syslog date `stamp`. */
  postfix(stamp: string): string {
    const failure = this.chance(0.3);
    const ip = this.address(failure);
    const at = `${stamp} mail postfix/smtpd[${this.id()}]:`;
    if (!failure)
      return this.pick([
        `${at} connect from unknown[${ip}]`,
        `${at} disconnect from unknown[${ip}] ehlo=1 auth=0/1 quit=1 commands=2/3`,
        `${at} ${this.id().toString(16).toUpperCase()}A: client=mx.example.net[${ip}]`,
      ]);
    const user = this.pick(USERS);
    return this.pick([
      `${at} warning: unknown[${ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`,
      `${at} warning: unknown[${ip}]: SASL PLAIN authentication failed: authentication failure`,
      `${at} NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 <${user}@example.com>: Relay access denied; from=<x@example.net> to=<${user}@example.com> proto=ESMTP helo=<x>`,
      `${at} NOQUEUE: reject: RCPT from unknown[${ip}]: 550 5.1.1 <${user}@example.org>: Recipient address rejected: User unknown in local recipient table; from=<x@example.net> to=<${user}@example.org> proto=ESMTP helo=<x>`,
    ]);
  }
}

const STAMP = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)/;

/** `lines` lines: genlog's sshd lines in order, the others at the date of the last of them. */
export function mixedLog(lines: number): string {
  const path = join(CACHE, `mixed-${lines}.log`);
  if (existsSync(path)) return path;
  const sshd = readFileSync(genlog(Math.ceil(lines * SSHD_SHARE) + 1), 'utf8').split('\n');
  const make = new Lines(7);
  const out = openSync(`${path}.partial`, 'w');
  let stamp = STAMP.exec(sshd[0]!)!;
  let next = 0;
  let text = '';
  for (let n = 0; n < lines; n++) {
    const draw = make.chance(SSHD_SHARE)
      ? 'sshd'
      : make.chance(NGINX_SHARE / (1 - SSHD_SHARE))
        ? 'nginx'
        : 'postfix';
    if (draw === 'sshd' && next < sshd.length - 1) {
      const line = sshd[next++]!;
      stamp = STAMP.exec(line) ?? stamp;
      text += `${line}\n`;
    } else if (draw === 'nginx') {
      text += `${make.nginx(MONTHS.indexOf(stamp[1]!), Number(stamp[2]), stamp[3]!)}\n`;
    } else {
      text += `${make.postfix(stamp[0])}\n`;
    }
    if (text.length > 1 << 20) {
      writeSync(out, text);
      text = '';
    }
  }
  writeSync(out, text);
  closeSync(out);
  renameSync(`${path}.partial`, path);
  return path;
}
