// Exactly once per peer: whether a message of a peer was applied already, from the last
// number applied and the numbers below it not seen yet. A sender publishes in order but a
// failed publish retried late can land after later ones, so a gap waits its turn. Receives a
// peer's mark and a message's numbering; sends the next mark, or undefined for a duplicate.

import type { PeerMark } from '../state/cluster.js';

/** How far below the last number a late message is still applied: older ones are dropped. */
export const REORDER_WINDOW = 1024;

export function admit(
  mark: PeerMark | undefined,
  epoch: string,
  seq: number,
): PeerMark | undefined {
  // A peer whose state was made anew numbers from 1 again, under a new epoch.
  if (mark === undefined || mark.epoch !== epoch) return { epoch, seq, gaps: [] };
  if (seq > mark.seq) {
    const floor = seq - REORDER_WINDOW;
    const gaps = mark.gaps.filter((g) => g > floor);
    for (let g = Math.max(mark.seq + 1, floor + 1); g < seq; g++) gaps.push(g);
    return { epoch, seq, gaps };
  }
  const at = mark.gaps.indexOf(seq);
  if (at < 0) return undefined;
  return { epoch, seq: mark.seq, gaps: mark.gaps.filter((_, i) => i !== at) };
}
