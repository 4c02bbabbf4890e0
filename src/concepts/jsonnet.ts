// Evaluates Jsonnet configuration files; the only user of the Jsonnet engine (libjsonnet,
// the reference C++ implementation, through its Node binding). Receives a file path;
// sends a Document (Jsonnet output keeps no positions), or a ConfigError placed at the
// file:line:col that the engine reports.

import { Jsonnet } from '@hanazuki/node-jsonnet';
import { ConfigError } from '../lib/errors.js';
import type { Document } from './document.js';

export async function readJsonnet(file: string, absolute: string): Promise<Document> {
  const engine = new Jsonnet();
  let output: string;
  try {
    output = await engine.evaluateFile(absolute);
  } catch (error) {
    throw engineError(file, absolute, (error as Error).message);
  }
  return { file, value: JSON.parse(output) as unknown, locate: () => file };
}

/** libjsonnet writes "STATIC ERROR: /abs/f.jsonnet:8:16-22: Unknown variable: banFor". */
function engineError(file: string, absolute: string, message: string): ConfigError {
  const lines = message.trim().split('\n');
  const head = lines[0]!.replace(/^(STATIC|RUNTIME) ERROR: /, '');
  const placed = /^(.+?):(\d+):(\d+)(?:-\d+)?: (.*)$/.exec(head);
  const trace = lines.slice(1).find((l) => /^\t.+:\d+:\d+/.test(l));
  const traced = trace === undefined ? null : /^\t(.+?):(\d+):(\d+)/.exec(trace);
  const where = placed ?? traced;
  const reason = placed === null ? head : placed[4]!;
  if (where === null) return new ConfigError(file, `cannot evaluate Jsonnet: ${reason}`);
  const [, path = '', line, col] = where;
  const at = path === absolute ? file : displayPath(path);
  return new ConfigError(`${at}:${line}:${col}`, `cannot evaluate Jsonnet: ${reason}`);
}

function displayPath(path: string): string {
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
