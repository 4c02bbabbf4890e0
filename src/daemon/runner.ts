// Runs a due action by its type: a command through the executor, an address added to or
// deleted from a kernel set, a line sent to a virtual stream or shared with other hosts.
// Owns nothing but the choice; receives the scheduler's actions with their match and trigger
// time; sends each to its type's owner, and its start, end and outcome to the ActionOutcomes.
// What the restore at start-up runs is logged at DEBUG: restore.ts logs one line for it all.

import type { Action } from '../concepts/action.js';
import type { Filter } from '../concepts/filter.js';
import { renderTemplate } from '../concepts/template.js';
import { log, quote } from '../lib/log.js';
import type { Executor } from './executor.js';
import type { ActionOutcomes, Outcome } from './outcomes.js';
import type { KernelSets } from './sets.js';
import type { VirtualSends } from './virtual.js';

export interface Due {
  readonly filter: Filter;
  readonly action: Action;
  readonly values: readonly string[];
  /** When its trigger happened: the line it came from was read then. */
  readonly time: number;
  /** Run by the restore at start-up: its start is logged at DEBUG (failures still show). */
  readonly quiet?: boolean;
}

export class ActionRunner {
  readonly #executor: Executor;
  readonly #sets: KernelSets;
  readonly #sends: VirtualSends;
  readonly #outcomes: ActionOutcomes;
  /** Triggers before this (restored ones) say nothing of how fast actions start. */
  readonly #since: number;
  readonly #share: (line: string, time: number) => void;

  constructor(deps: {
    executor: Executor;
    sets: KernelSets;
    sends: VirtualSends;
    outcomes: ActionOutcomes;
    since: number;
    /** Writes a cluster action's line to the outbox (nothing when the host shares no bans). */
    share: (line: string, time: number) => void;
  }) {
    this.#executor = deps.executor;
    this.#sets = deps.sets;
    this.#sends = deps.sends;
    this.#outcomes = deps.outcomes;
    this.#since = deps.since;
    this.#share = deps.share;
  }

  run(due: Due, done: () => void): void {
    const { filter, action, values } = due;
    const quiet = due.quiet === true;
    const label = `${filter.stream}.${filter.name}.${action.name}`;
    const outcomes = this.#outcomes;
    let started = Date.now();
    const start = (): void => {
      started = Date.now();
      const immediate = !action.delayed && due.time >= this.#since;
      outcomes.started(label, action.type, immediate ? started - due.time : undefined);
    };
    const end = (outcome: Outcome): void => {
      outcomes.ended(label, action.type, outcome, Date.now() - started);
      done();
    };
    switch (action.type) {
      case 'cmd':
        this.#executor.run({
          argv: action.argv.map((t) => renderTemplate(t, values)),
          label,
          started: start,
          done: end,
          quiet,
        });
        return;
      case 'virtual':
        start();
        this.#sends.send(label, action.to, renderTemplate(action.send, values), (ok) =>
          end(ok ? 'ok' : 'failed'),
        );
        return;
      case 'cluster': {
        start();
        const line = renderTemplate(action.send, values);
        log('INFO', `${label}: share ${quote(line)}`);
        this.#share(line, due.time);
        // Done before the next commit, which holds its outbox row too: a restart never shares
        // it twice. In a microtask: the scheduler is not re-entered from its own call.
        queueMicrotask(() => end('ok'));
        return;
      }
      case 'ipset':
      case 'nftables': {
        start();
        const value = values[action.pattern]!;
        log(
          quiet ? 'DEBUG' : 'INFO',
          `${label}: ${action.add ? 'add' : 'delete'} ${quote(value)} ${action.add ? 'to' : 'from'} ${action.type} set ${action.set}`,
        );
        this.#sets.apply(action, value, (ok) => end(ok ? 'ok' : 'failed'));
        return;
      }
    }
  }
}
