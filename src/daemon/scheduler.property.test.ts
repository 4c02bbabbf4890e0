// The scheduler's invariant (see scheduler.ts) on random interleavings: triggers of a few
// matches under each duplicates rule, some dated in the past, due times, actions that end in
// any order under a concurrency limit, commits that succeed or fail, flushes, clean stops,
// reloads (the same definitions, as new objects, as a reload of an unchanged file gives
// them), and crashes after
// which a new scheduler restores what was committed: thousands of cases on a held
// MemoryState, which loses the rest as the Store would, and some on the real Store, whose
// files are copied at the crash. Each case comes from a seed, printed with its events.

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Action } from '../concepts/action.js';
import { streamFilters } from '../concepts/config.fixture.js';
import type { Filter } from '../concepts/filter.js';
import { ManualClock } from '../lib/clock.js';
import { configureLog } from '../lib/log.js';
import { keyOf } from './filter.js';
import { familyAllows } from './revive.js';
import { Scheduler } from './scheduler.js';
import { MemoryState } from './state/memory.js';
import type { StateWrites, StoredTrigger } from './state/records.js';
import { STATE_FILE, Store } from './state/store.js';

configureLog({ level: 'ERROR', sink: () => undefined });

const CASES = Number(process.env['RIPOSTE_PROPERTY_CASES'] ?? 3000);
/** Cases on the real Store: slower (a file per restart), they check the model. */
const STORE_CASES = Math.ceil(CASES / 30);
const SEED = Number(process.env['RIPOSTE_PROPERTY_SEED'] ?? 20_261_201);
const STEPS = 40;
const MATCHES = ['192.0.2.1', '192.0.2.2', '2001:db8::1'];

const FILTERS = {
  extend: {
    actions: { ban: { cmd: ['ban'] }, unban: { cmd: ['unban'], after: '10s' } },
  },
  rerun: {
    duplicates: 'rerun',
    actions: {
      ban: { cmd: ['ban'] },
      mail: { cmd: ['mail'], oneshot: true },
      note: { cmd: ['note'], after: '20s' },
      unban: { cmd: ['unban'], after: '10s', onexit: true },
    },
  },
  ignore: {
    duplicates: 'ignore',
    actions: {
      ban: { cmd: ['ban'] },
      a_unban: { cmd: ['unban'], after: '15s' },
      b_warn: { cmd: ['warn'], after: '5s', onexit: true },
    },
  },
  family: {
    actions: {
      ack: { cmd: ['ack'], after: '0s' },
      ban: { cmd: ['ban'] },
      unban4: { cmd: ['unban'], after: '8s', ipv4only: true },
      unban6: { cmd: ['unban'], after: '8s', ipv6only: true, onexit: true },
    },
  },
};

/** The filters of one configuration, by name. */
async function loadFilters(): Promise<Map<string, Filter>> {
  const defs = Object.entries(FILTERS).map(([name, f]) => [name, { regex: ['<ip>'], ...f }]);
  return new Map((await streamFilters(Object.fromEntries(defs))).map((f) => [f.name, f]));
}

/** mulberry32: small, seeded, good enough to pick events. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An action's place in its trigger's order: 0 for the immediate ones (started together),
 * then the delayed ones by `after` (which orders their due times, extended or not), then name.
 */
function rank(filter: Filter, action: Action): number {
  if (!action.delayed) return 0;
  const delayed = filter.actions
    .filter((a) => a.delayed)
    .sort((a, b) => a.after - b.after || (a.name < b.name ? -1 : 1));
  return 1 + delayed.indexOf(action);
}

/** The last action of a trigger's order for a match. */
function lastOf(filter: Filter, values: readonly string[]): Action {
  const allowed = filter.actions.filter((a) => familyAllows(a, values));
  return allowed.reduce((best, a) => (rank(filter, a) > rank(filter, best) ? a : best));
}

/** What a case needs of the state: its writes, commits when told, what a crash leaves. */
interface Durable {
  readonly writes: StateWrites;
  /** Commits what is queued, or, with `fail`, lets the commit fail (the model only). */
  commit(fail: boolean): void;
  load(): { triggers: StoredTrigger[] };
  /** The state a restart after a crash now finds. */
  crash(): Durable;
  close(): void;
}

function model(state = new MemoryState({ held: true })): Durable {
  return {
    writes: state,
    commit: (fail) => state.commit({ fail }),
    load: () => state.load(),
    crash: () => model(state.crash()),
    close: () => undefined,
  };
}

/** The real Store in `dir`; a crash copies what its files hold to a new directory. */
function realStore(root: string, dir = mkdtempSync(join(root, 'run-'))): Durable {
  const store = Store.open(dir, { reserve: 0 });
  return {
    writes: store,
    commit: (fail) => {
      if (!fail) store.commit();
    },
    load: () => store.load(),
    crash: () => {
      const copy = mkdtempSync(join(root, 'run-'));
      for (const suffix of ['', '-wal']) {
        const file = join(dir, STATE_FILE + suffix);
        if (existsSync(file)) copyFileSync(file, join(copy, STATE_FILE + suffix));
      }
      store.close();
      return realStore(root, copy);
    },
    close: () => store.close(),
  };
}

interface Job {
  readonly trigger: number;
  readonly filter: Filter;
  readonly action: Action;
  readonly values: readonly string[];
  readonly match: string;
  readonly done: () => void;
  ended: boolean;
}

interface Track {
  /** Highest rank of a delayed action of the trigger that ended, in any run. */
  endedRank: number;
  /** The same in this run. */
  endedRankNow: number;
  readonly started: Set<string>;
  readonly oneshots: Set<string>;
  last: Job | undefined;
}

/** One case: its events, the invariant checked as actions are handed over and at the end. */
class Case {
  readonly events: string[] = [];
  /** The filters of each load of the configuration; a reload goes to the next. */
  readonly #loads: readonly Map<string, Filter>[];
  #filters: Map<string, Filter>;
  readonly #limit: number;
  #clock: ManualClock;
  #state: Durable;
  #scheduler: Scheduler;
  /** The scheduler of the running daemon; none between a crash and the restart. */
  #alive: Scheduler | undefined;
  #waiting: Job[] = [];
  #running: Job[] = [];
  /** Handed over and not ended, in this run, by match. */
  #busy = new Map<string, Job[]>();
  readonly #tracks = new Map<number, Track>();
  /** Triggers given over already (every delayed action due before they came): none may run. */
  readonly #over = new Set<string>();
  readonly #gone: [number, Track][] = [];
  readonly #lastByMatch = new Map<string, Job>();

  constructor(
    loads: readonly Map<string, Filter>[],
    state: Durable,
    o: { limit: number; start: number },
  ) {
    this.#loads = loads;
    this.#filters = loads[0]!;
    this.#state = state;
    this.#limit = o.limit;
    const start = o.start;
    this.#clock = new ManualClock(start);
    this.#scheduler = this.#newScheduler();
    this.#alive = this.#scheduler;
  }

  /** A trigger `ago` ms in the past, as another host's line is counted at its own time. */
  trigger(name: string, values: string[], ago = 0): void {
    this.events.push(`trigger ${name} ${values[0]}${ago === 0 ? '' : ` ${ago} ms ago`}`);
    const filter = this.#filters.get(name)!;
    const time = this.#clock.now() - ago;
    const delayed = filter.actions.filter((a) => a.delayed && familyAllows(a, values));
    if (delayed.length > 0 && delayed.every((a) => time + a.after < this.#clock.now()))
      this.#over.add(`${name} ${values[0]} ${time}`);
    this.#scheduler.trigger(filter, values, time, [], ago !== 0);
  }

  /** A reload: pending triggers go on under the filters' next load, with the same values. */
  reload(): void {
    this.events.push('reload');
    const next = this.#loads[(this.#loads.indexOf(this.#filters) + 1) % this.#loads.length]!;
    const map = new Map([...this.#filters].map(([name, f]) => [f, next.get(name)!]));
    this.#scheduler.reconfigure(map, (_from, _to, values) => values);
    this.#filters = next;
  }

  advance(ms: number): void {
    this.events.push(`advance ${ms}`);
    this.#clock.advance(this.#clock.now() + ms);
  }

  commit(fail: boolean): void {
    this.events.push(fail ? 'commit fails' : 'commit');
    this.#state.commit(fail);
  }

  end(pick: number): void {
    const job = this.#running[Math.floor(pick * this.#running.length)];
    if (job === undefined) return;
    this.events.push(`end ${job.action.name} ${job.values[0]} #${job.trigger}`);
    this.#running = this.#running.filter((j) => j !== job);
    job.ended = true;
    const busy = this.#busy.get(job.match) ?? [];
    this.#busy.set(
      job.match,
      busy.filter((j) => j !== job),
    );
    const track = this.#tracks.get(job.trigger)!;
    if (job.action.delayed) {
      track.endedRank = Math.max(track.endedRank, rank(job.filter, job.action));
      track.endedRankNow = Math.max(track.endedRankNow, rank(job.filter, job.action));
    }
    job.done();
    this.#pump();
  }

  flush(values: string | undefined): void {
    this.events.push(`flush ${values ?? 'all'}`);
    this.#scheduler.flush((_f, v) => values === undefined || v[0] === values);
  }

  /** SIGKILL: running actions die with riposte; a new one restores what was committed. */
  crash(): void {
    this.events.push('crash');
    this.#alive = undefined;
    this.#state = this.#state.crash();
    this.#restart();
  }

  /** SIGTERM: onexit actions, running ones end, everything committed; then a new run. */
  stop(): void {
    this.events.push('stop');
    this.#scheduler.stop();
    this.#drain(false);
    this.#state.commit(false);
    this.#alive = undefined;
    this.#state = this.#state.crash();
    this.#restart();
  }

  close(): void {
    this.#state.close();
  }

  /** No more events: everything runs to its end. */
  finish(): void {
    this.events.push('finish');
    this.#drain(true);
    assert.equal(this.#scheduler.size, 0, 'pending actions are left');
    for (const [match, job] of this.#lastByMatch) {
      const last = lastOf(job.filter, job.values);
      assert.ok(job.ended, `${match}: its last action (${job.action.name}) was cut off`);
      assert.equal(job.action, last, `${match}: ${job.action.name} ran last, not ${last.name}`);
    }
    for (const [id, track] of [...this.#gone, ...this.#tracks]) {
      const job = track.last!;
      const last = lastOf(job.filter, job.values);
      assert.ok(job.ended && job.action === last, `trigger #${id} ended on ${job.action.name}`);
    }
  }

  #drain(advance: boolean): void {
    for (let round = 0; round < 200; round++) {
      this.#state.commit(false);
      while (this.#running.length > 0) this.end(0);
      if (advance) this.#clock.advance(this.#clock.now() + 30_000);
      if (this.#running.length === 0 && this.#waiting.length === 0 && !this.#busyAny()) {
        this.#state.commit(false);
        if (this.#running.length === 0 && (!advance || this.#scheduler.size === 0)) return;
      }
    }
    assert.fail('the case does not settle');
  }

  #busyAny(): boolean {
    for (const jobs of this.#busy.values()) if (jobs.length > 0) return true;
    return false;
  }

  #restart(): void {
    this.#waiting = [];
    this.#running = [];
    this.#busy = new Map();
    this.#clock = new ManualClock(this.#clock.now());
    this.#scheduler = this.#newScheduler();
    this.#alive = this.#scheduler;
    const { triggers } = this.#state.load();
    // A trigger not stored is gone for good, and the new run may give its id to another.
    const stored = new Set(triggers.map((t) => t.id));
    for (const [id, track] of this.#tracks) {
      track.started.clear();
      track.endedRankNow = 0;
      if (stored.has(id)) continue;
      this.#tracks.delete(id);
      this.#gone.push([id, track]);
    }
    for (const t of triggers)
      this.#scheduler.restore(t, this.#filters.get(t.filter)!, this.#clock.now());
    this.#scheduler.restored();
  }

  #newScheduler(): Scheduler {
    const scheduler: Scheduler = new Scheduler({
      store: this.#state.writes,
      clock: this.#clock,
      run: (filter, action, values, done, trigger, time) => {
        // A scheduler killed by a crash runs nothing more (closing its Store still calls back).
        if (scheduler !== this.#alive) return;
        const key = `${filter.name} ${values[0]} ${time}`;
        assert.ok(!this.#over.has(key), `${action.name} #${trigger} runs, its trigger was over`);
        this.#handed({ trigger, filter, action, values, done, match: matchOf(filter, values) });
      },
    });
    return scheduler;
  }

  /** An action handed over to run: the invariant, then the executor's queue. */
  #handed(spec: Omit<Job, 'ended'>): void {
    const job: Job = { ...spec, ended: false };
    const { trigger, filter, action, values, match } = job;
    this.events.push(`run ${action.name} ${values[0]} #${trigger}`);
    assert.ok(familyAllows(action, values), `${action.name} runs for ${values[0]}`);
    for (const other of this.#busy.get(match) ?? []) {
      const together = other.trigger === trigger && !other.action.delayed && !action.delayed;
      assert.ok(
        together,
        `${action.name} #${trigger} runs with ${other.action.name} #${other.trigger}`,
      );
    }
    let track = this.#tracks.get(trigger);
    if (track === undefined) {
      track = {
        endedRank: 0,
        endedRankNow: 0,
        started: new Set(),
        oneshots: new Set(),
        last: undefined,
      };
      this.#tracks.set(trigger, track);
    }
    assert.ok(!track.started.has(action.name), `${action.name} #${trigger} runs twice in one run`);
    track.started.add(action.name);
    // Never an immediate action after a delayed one of its trigger ran (a ban after its
    // unban), whatever restarts came between. A delayed action whose record of being done
    // was lost in a crash runs again, after the one before it if that was lost too.
    const r = rank(filter, action);
    const after = r === 0 ? track.endedRank : track.endedRankNow;
    assert.ok(r >= after, `${action.name} #${trigger} runs after a later action ended`);
    if (action.oneshot) {
      assert.ok(!track.oneshots.has(action.name), `oneshot ${action.name} #${trigger} runs again`);
      track.oneshots.add(action.name);
    }
    track.last = job;
    this.#lastByMatch.set(match, job);
    this.#busy.set(match, [...(this.#busy.get(match) ?? []), job]);
    this.#waiting.push(job);
    this.#pump();
  }

  /** The executor: at most `limit` actions at once, the others wait in order. */
  #pump(): void {
    while (this.#running.length < this.#limit && this.#waiting.length > 0) {
      this.#running.push(this.#waiting.shift()!);
    }
  }
}

function matchOf(filter: Filter, values: readonly string[]): string {
  return `${filter.name} ${keyOf(values)}`;
}

/** One case from its seed; a failure's message ends with the case's events. */
function runCase(loads: readonly Map<string, Filter>[], seed: number, state: Durable): void {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const limit = pick([1, 2, Number.POSITIVE_INFINITY]);
  const c = new Case(loads, state, { limit, start: 1_000_000_000 });
  const names = [...loads[0]!.keys()];
  // One or two filters per case, so that matches meet again.
  const used = [pick(names), pick(names)];
  try {
    let restarts = 0;
    let reloads = 0;
    for (let step = 0; step < STEPS; step++) {
      const roll = next();
      // A quarter of the triggers come from the past: some over already, some half done.
      if (roll < 0.3)
        c.trigger(pick(used), [pick(MATCHES)], next() < 0.25 ? Math.floor(next() * 25_000) : 0);
      else if (roll < 0.5) c.advance(Math.floor(next() * 12_000));
      else if (roll < 0.7) c.end(next());
      else if (roll < 0.85) c.commit(false);
      else if (roll < 0.88) c.commit(true);
      else if (roll < 0.93) c.flush(next() < 0.5 ? undefined : pick(MATCHES));
      else if (roll < 0.95) {
        if (reloads++ < 3) c.reload();
      } else if (restarts < 4) {
        restarts++;
        if (roll < 0.98) c.crash();
        else c.stop();
      }
    }
    c.finish();
  } catch (error) {
    const events = c.events.map((e) => `  ${e}`).join('\n');
    throw new Error(`${(error as Error).message}; concurrency ${limit}; events:\n${events}`);
  } finally {
    c.close();
  }
}

/** Runs `count` cases from SEED, each on the state `make` gives. */
async function runCases(count: number, make: () => Durable): Promise<void> {
  const loads = [await loadFilters(), await loadFilters()];
  for (let i = 0; i < count; i++) {
    const seed = SEED + i;
    try {
      runCase(loads, seed, make());
    } catch (error) {
      assert.fail(
        `seed ${seed} (again with RIPOSTE_PROPERTY_SEED=${seed} RIPOSTE_PROPERTY_CASES=1): ${(error as Error).message}`,
      );
    }
  }
}

test(`the scheduler keeps its invariant on ${CASES} random interleavings, on a model of the state (seed ${SEED})`, async () => {
  await runCases(CASES, () => model());
});

test(`the scheduler keeps its invariant on ${STORE_CASES} random interleavings, on the real Store (seed ${SEED})`, async (t) => {
  const root = mkdtempSync(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'riposte-property-'),
  );
  t.after(() => rmSync(root, { recursive: true, force: true }));
  await runCases(STORE_CASES, () => realStore(root));
});
