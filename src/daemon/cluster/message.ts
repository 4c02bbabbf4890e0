// The message one host publishes for a shared line, and the checks a received one must pass
// before its line reaches a filter: whoever can publish on the subject chooses every byte.
// Receives lines to send or bytes received; sends JSON bytes, or a message, or why not.

/** Longer lines are refused: a shared line is a rendered `send` template, a few words. */
export const MAX_LINE = 4096;
const EPOCH = /^[0-9a-f]{16}$/;

export interface Message {
  readonly line: string;
  /** When the trigger that shared it happened, in ms since the epoch. */
  readonly time: number;
  /** The sender's numbering: `seq` counts its messages within `epoch`. */
  readonly epoch: string;
  readonly seq: number;
}

export function encodeMessage(message: Message): Uint8Array {
  const { line, time, epoch, seq } = message;
  return new TextEncoder().encode(JSON.stringify({ v: 1, line, time, epoch, seq }));
}

/** The id the engine de-duplicates publishes by: unique to a sender's message. */
export function messageId(node: string, message: Pick<Message, 'epoch' | 'seq'>): string {
  return `${node}.${message.epoch}.${message.seq}`;
}

export function newEpoch(random: Uint8Array): string {
  return Buffer.from(random.subarray(0, 8)).toString('hex');
}

/** A received message, or the reason it is refused. */
export function decodeMessage(data: Uint8Array): Message | { readonly refused: string } {
  if (data.length > MAX_LINE + 256) return { refused: `${data.length} bytes, too long` };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return { refused: 'not JSON in UTF-8' };
  }
  if (typeof value !== 'object' || value === null) return { refused: 'not a JSON object' };
  const m = value as Record<string, unknown>;
  if (m['v'] !== 1) return { refused: `unknown version ${JSON.stringify(m['v'])}` };
  const { line, time, epoch, seq } = m;
  if (typeof line !== 'string') return { refused: 'no line' };
  if (line.length > MAX_LINE) return { refused: `a line of ${line.length} characters` };
  if (/[\r\n]/.test(line)) return { refused: 'a line break inside the line' };
  if (!Number.isSafeInteger(time) || (time as number) <= 0) return { refused: 'no valid time' };
  if (typeof epoch !== 'string' || !EPOCH.test(epoch)) return { refused: 'no valid epoch' };
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return { refused: 'no valid seq' };
  return { line, time: time as number, epoch, seq: seq as number };
}
