// The latency benchmark's stream: writes sshd lines to stdout at a steady rate for a number
// of seconds, one in `every` a failed login from an address of its own, and records when it
// wrote each of those. Receives `RATE SECONDS EVERY TIMES_FILE`; sends lines, then the send
// times as JSON ({"address": epoch ms}) to TIMES_FILE, and ends (the daemon then stops).

import { writeFileSync } from 'node:fs';

const TICK_MS = 5;

function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function line(n: number, every: number, sent: Record<string, number>, now: number): string {
  const prefix = `Dec  2 12:00:00 host sshd[${1000 + (n % 9000)}]: `;
  if (n % every !== every - 1)
    return `${prefix}Accepted publickey for bob from 192.0.2.7 port ${n % 65536} ssh2\n`;
  const ip = address(Math.floor(n / every));
  sent[ip] = now;
  return `${prefix}Failed password for root from ${ip} port 22 ssh2\n`;
}

function main(rate: number, seconds: number, every: number, file: string): void {
  const sent: Record<string, number> = {};
  const start = performance.now();
  let written = 0;
  const timer = setInterval(() => {
    const elapsed = (performance.now() - start) / 1000;
    const due = Math.min(Math.floor(elapsed * rate), rate * seconds);
    let text = '';
    const now = performance.timeOrigin + performance.now();
    for (; written < due; written++) text += line(written, every, sent, now);
    if (text !== '') process.stdout.write(text);
    if (written >= rate * seconds) {
      clearInterval(timer);
      writeFileSync(file, JSON.stringify(sent));
      // The last bans run before the stream ends and the daemon stops.
      setTimeout(() => process.exit(0), 2000);
    }
  }, TICK_MS);
}

const [rate, seconds, every, file] = process.argv.slice(2);
if (file === undefined) {
  console.error('usage: node dist/bench/latency-feed.js RATE SECONDS EVERY TIMES_FILE');
  process.exit(2);
}
main(Number(rate), Number(seconds), Number(every), file);
