import type { RunEvent } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import { streamEntriesOf } from './run-stream-entries.ts';

/**
 * Write the stream-log lines of events of one run inside the caller's transaction, the one that
 * records what they announce (a result, a run's end), and mark them `logged` with the last id:
 * the run log writer then only announces them. A process killed after the commit has then
 * written both the change and its lines, or neither: no result without its `result` event, no
 * finished run whose watchers wait for a `done` that never comes.
 *
 * Call it after the run log writer drained the run (`RunLogFeed.drain`), outside the
 * transaction: lines this process published before then come first.
 */
export async function logInTransaction(tx: Store, events: RunEvent[]): Promise<void> {
  const first = events[0];
  const entries = events.flatMap(streamEntriesOf);
  if (!first || entries.length === 0) return;
  const finished = events.some((e) => e.type === 'run.finished');
  const lastId = await tx.runStreamEvents.append(first.runId, first.projectId, entries, {
    finished,
  });
  for (const e of events) e.logged = lastId;
}
