// Keeps what a configuration read as data out of riposte's messages. Jsonnet's importstr
// and importbin read any file the configuration names (/etc/shadow as well as a list of
// addresses), and an error about a value built from it would show that file to whoever
// reads the messages. Receives the texts read as data; sends a function that masks, in a
// message, every run of text that also appears in them.

import { type Key, keyPath } from './document.js';

/** A run of this many characters found in the data is masked, wherever it is in a message. */
const WINDOW = 8;
/** Data indexed by its windows, at most; past it, every quoted text of a message is masked. */
const INDEXED = 1 << 20;
const MASK = '…';

export type Redact = (message: string) => string;

/** keyPath() with each key that appears in the data masked: a key, too, may come from a file. */
export function redactedPath(path: readonly Key[], redact: Redact): string {
  return keyPath(path.map((key) => (typeof key === 'string' && isData(key, redact) ? MASK : key)));
}

/** A text is data when a redactor masks it quoted, as it masks any quoted text found in the data. */
function isData(text: string, redact: Redact): boolean {
  return redact(`"${text}"`) !== `"${text}"`;
}

export const NOTHING_TO_HIDE: Redact = (message) => message;

export function redactor(data: readonly string[]): Redact {
  const texts = data.filter((text) => text !== '');
  if (texts.length === 0) return NOTHING_TO_HIDE;
  const size = texts.reduce((n, text) => n + text.length, 0);
  // Built at the first message: most configurations have no error to redact.
  let index: Set<string> | undefined;
  return (message) => {
    index ??= windows(texts.map((text) => text.slice(0, INDEXED)));
    const hidden = new Uint8Array(message.length);
    for (let i = 0; i + WINDOW <= message.length; i++)
      if (index.has(message.slice(i, i + WINDOW))) hidden.fill(1, i, i + WINDOW);
    for (const [from, to] of quotes(message)) {
      const quoted = message.slice(from, to);
      if (size > INDEXED || texts.some((text) => holdsToken(text, quoted)))
        hidden.fill(1, from, to);
    }
    return masked(message, hidden);
  };
}

/** Shorter quoted texts are never data: "s" or "ip" appear in any file. */
const TOKEN = 3;
const WORD = /[A-Za-z0-9_]/;

/**
 * Whether `token` appears in `text` as a whole (not inside a longer word): a stream named
 * "ssh" beside a file that holds "sshd" is not data, a key "root" from a line "root:x:0:0"
 * is.
 */
function holdsToken(text: string, token: string): boolean {
  if (token.length < TOKEN) return false;
  const open = !WORD.test(token[0]!);
  const close = !WORD.test(token[token.length - 1]!);
  for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
    const before = at === 0 ? '' : text[at - 1]!;
    const after = text[at + token.length] ?? '';
    if ((open || !WORD.test(before)) && (close || !WORD.test(after))) return true;
  }
  return false;
}

/** Every run of WINDOW characters of the texts. */
function windows(texts: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const text of texts)
    for (let i = 0; i + WINDOW <= text.length; i++) set.add(text.slice(i, i + WINDOW));
  return set;
}

/** The [start, end) of the text inside each pair of double, or of single, quotes. */
function quotes(message: string): [number, number][] {
  const found: [number, number][] = [];
  for (const quote of ['"', "'"]) {
    for (let open = message.indexOf(quote); open >= 0; ) {
      const close = message.indexOf(quote, open + 1);
      if (close < 0) break;
      if (close > open + 1) found.push([open + 1, close]);
      open = message.indexOf(quote, close + 1);
    }
  }
  return found;
}

function masked(message: string, hidden: Uint8Array): string {
  let out = '';
  for (let i = 0; i < message.length; i++) {
    if (hidden[i] === 0) out += message[i];
    else if (i === 0 || hidden[i - 1] === 0) out += MASK;
  }
  return out;
}
