import type { Source, SourceSink, SourceStatus } from './source.js';
export interface JournalSourceOptions {
  readonly [k: string]: unknown;
}
export class JournalSource implements Source {
  constructor(_o: JournalSourceOptions, _s: SourceSink) {}
  start(): Promise<void> {
    return Promise.reject(new Error('stub'));
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  kill(): void {}
  get status(): SourceStatus {
    return { state: 'stopped', pid: undefined, restarts: 0, lastExit: undefined };
  }
}
