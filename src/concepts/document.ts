// A configuration file once read: its value and a way to point back into its text. Receives
// nothing; the format readers build documents and every later stage uses them to place
// its messages ("riposte.yml:12:7").

export type Key = string | number;

export interface Document {
  /** The file as the user should read it in a message: relative to the working directory. */
  readonly file: string;
  readonly value: unknown;
  /** "file:line:col" of the key (or its value) at `path`, or of its nearest ancestor; "file" alone when the format keeps no positions. */
  locate(path: readonly Key[], what: 'key' | 'value'): string;
}

/** `streams.ssh.filters.failedlogin.regex[2]` */
export function keyPath(path: readonly Key[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? key : `.${key}`;
  }
  return text;
}
