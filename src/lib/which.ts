// Finds programs the way execvp does. Receives a program name and a PATH; sends the
// executable file it names, if any.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function which(program: string, path = process.env['PATH'] ?? ''): string | undefined {
  if (program.includes('/')) return isExecutable(program) ? program : undefined;
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir === '' ? '.' : dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
