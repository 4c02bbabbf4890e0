// `riposte test-regex`: runs one regex, with the `<pattern>`s of a configuration, on a line,
// on every line of files (-f), or on every line of stdin. Receives the regex, the optional
// config path, line and files; sends one result line per input line to stdout and a summary
// to stderr.

import { createReadStream, statSync } from 'node:fs';
import { Checker } from '../concepts/check.js';
import { loadConfig } from '../concepts/config.js';
import { type CompiledRegex, compileRegex } from '../concepts/matcher.js';
import type { Pattern } from '../concepts/pattern.js';
import { UsageError } from '../lib/errors.js';
import { LineSplitter } from '../lib/lines.js';

export interface TestRegexOptions {
  readonly config?: string;
  readonly line?: string;
  /** Files whose lines are tested, in order; stdin when none and no line. */
  readonly files?: readonly string[];
}

export async function testRegex(source: string, options: TestRegexOptions): Promise<number> {
  const files = options.files ?? [];
  if (files.length > 0 && options.line !== undefined)
    throw new UsageError('give either a LINE or files with -f, not both');
  const patterns = await patternsOf(options.config);
  if (patterns === undefined) return 1;
  const c = new Checker(() => 'regex');
  const compiled = compileRegex(c, [], source, patterns);
  for (const w of compiled?.engine.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  for (const w of c.warnings) process.stderr.write(`warning: ${w.message.replace(/^: /, '')}\n`);
  if (compiled === undefined) {
    for (const e of c.errors) process.stderr.write(`error: ${e.reason.replace(/^: /, '')}\n`);
    return 1;
  }
  if (options.line !== undefined) {
    if (isFile(options.line)) {
      process.stderr.write(
        `note: ${JSON.stringify(options.line)} is tested as a line; to read the lines of that file, write -f ${options.line}\n`,
      );
    }
    const text = describeLine(compiled, options.line);
    process.stdout.write(`${text}\n`);
    // As with stdin: success when the line gives a match, not when a value of it is ignored.
    return text.startsWith('match') ? 0 : 1;
  }
  return replay(compiled, files);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
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

async function replay(regex: CompiledRegex, files: readonly string[]): Promise<number> {
  const counts = { lines: 0, matched: 0 };
  let out: string[] = [];
  const splitter = () =>
    new LineSplitter({
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
  const inputs: [string, AsyncIterable<unknown>][] =
    files.length === 0 ? [['stdin', process.stdin]] : files.map((f) => [f, openFile(f)]);
  for (const [name, input] of inputs) {
    const lines = splitter();
    try {
      for await (const chunk of input) {
        lines.push(chunk as Buffer);
        if (!process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''))) await drained();
        out = [];
      }
    } catch (error) {
      throw new UsageError(`cannot read ${name}: ${(error as Error).message}`);
    }
    lines.end();
  }
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
  const lines = `${counts.lines} line${counts.lines === 1 ? '' : 's'}`;
  const where = files.length > 1 ? ` in ${files.length} files` : '';
  process.stderr.write(`${lines}${where}, ${counts.matched} matched\n`);
  return counts.matched > 0 ? 0 : 1;
}

function openFile(path: string): AsyncIterable<unknown> {
  return createReadStream(path);
}

function drained(): Promise<void> {
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
