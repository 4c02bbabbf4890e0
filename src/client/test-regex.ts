// `riposte test-regex`: runs one regex, with the `<pattern>`s of a configuration, on a line
// or on every line of stdin. Receives the regex, the optional config path and line; sends
// one result line per input line to stdout and a summary to stderr.

import { Checker } from '../concepts/check.js';
import { loadConfig } from '../concepts/config.js';
import { type CompiledRegex, compileRegex } from '../concepts/matcher.js';
import type { Pattern } from '../concepts/pattern.js';
import { LineSplitter } from '../lib/lines.js';

export async function testRegex(
  source: string,
  options: { config?: string; line?: string },
): Promise<number> {
  const patterns = await patternsOf(options.config);
  if (patterns === undefined) return 1;
  const c = new Checker(() => 'regex');
  const compiled = compileRegex(c, [], source, patterns);
  for (const w of compiled?.engine.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  if (compiled === undefined) {
    for (const e of c.errors) process.stderr.write(`error: ${e.reason.replace(/^: /, '')}\n`);
    return 1;
  }
  if (options.line !== undefined) {
    const text = describeLine(compiled, options.line);
    process.stdout.write(`${text}\n`);
    // As with stdin: success when the line gives a match, not when a value of it is ignored.
    return text.startsWith('match') ? 0 : 1;
  }
  return replay(compiled);
}

async function patternsOf(
  path: string | undefined,
): Promise<ReadonlyMap<string, Pattern> | undefined> {
  if (path === undefined) return new Map();
  const loaded = await loadConfig(path);
  if (loaded.ok) return loaded.config.patterns;
  for (const e of loaded.errors) process.stderr.write(`error: ${e.message}\n`);
  return undefined;
}

/** "match ip=1.2.3.4", "ignored ip=127.0.0.1 (ignore: 127.0.0.1)" or "no match", then the line. */
export function describeLine(regex: CompiledRegex, line: string): string {
  const captured = regex.exec(line);
  if (captured === undefined) return `no match\t${line}`;
  const parts = captured.map((text, i) => {
    const pattern = regex.patterns[i]!;
    const valued = pattern.value(text);
    if (valued === undefined)
      return { text: `${pattern.name}=${text} (not a valid ${pattern.type} value)`, ok: false };
    if ('ignoredBy' in valued)
      return { text: `${pattern.name}=${text} (ignored by ${valued.ignoredBy})`, ok: false };
    return { text: `${pattern.name}=${valued.value}`, ok: true };
  });
  const verdict = parts.every((p) => p.ok) ? 'match' : 'ignored';
  return `${[verdict, ...parts.map((p) => p.text)].join(' ')}\t${line}`;
}

async function replay(regex: CompiledRegex): Promise<number> {
  const counts = { lines: 0, matched: 0 };
  let out: string[] = [];
  const splitter = new LineSplitter({
    lines(batch) {
      for (const line of batch) {
        const text = describeLine(regex, line);
        if (text.startsWith('match')) counts.matched++;
        out.push(text);
      }
      counts.lines += batch.length;
    },
    overflow(dropped) {
      process.stderr.write(`warning: a line was cut at 64 KiB, ${dropped} characters dropped\n`);
    },
  });
  for await (const chunk of process.stdin) {
    splitter.push(chunk as Buffer);
    if (!process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''))) await drained();
    out = [];
  }
  splitter.end();
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  const lines = `${counts.lines} line${counts.lines === 1 ? '' : 's'}`;
  process.stderr.write(`${lines}, ${counts.matched} matched\n`);
  return counts.matched > 0 ? 0 : 1;
}

function drained(): Promise<void> {
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
