import type { Logger } from 'pino';
import type { EventBus } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import { QueuedRunReleaser } from './concurrency.ts';
import { IdempotencyPurge } from './idempotency.ts';
import { RunLogPrune } from './run-log-prune.ts';
import type { RunLogFeed } from './run-log-writer.ts';
import { RunStream } from './run-stream.ts';

/**
 * What a process serving the API runs beside its routes, started and stopped by whoever composes
 * the process (the `serve` command, a test harness): the run event log the SSE routes read, the
 * releaser that starts queued runs when the run ahead ends (and once at start, for runs held
 * across a restart), the hourly purge of expired Idempotency-Keys and the pruning of finished
 * runs' stream logs.
 */
export interface ApiServices {
  runStream: RunStream;
  /** Stop them all; call after the app is closed (its streams read the run stream). */
  stop(): void;
}

export async function startApiServices(deps: {
  store: Store;
  events: EventBus;
  /** Where the run stream hears that a run's log grew: the engine's `runLog`. */
  runLog: RunLogFeed;
  logger?: Logger;
}): Promise<ApiServices> {
  const runStream = new RunStream({ ...deps, feed: deps.runLog });
  const releaser = new QueuedRunReleaser(deps);
  const purge = new IdempotencyPurge(deps);
  const prune = new RunLogPrune(deps);
  runStream.start();
  await releaser.start();
  purge.start();
  prune.start();
  return {
    runStream,
    stop() {
      prune.stop();
      purge.stop();
      releaser.stop();
      runStream.stop();
    },
  };
}
