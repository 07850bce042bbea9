import { afterEach, describe, expect, it } from 'vitest';
import { emptyCounts } from '../../src/domain/run.ts';
import { RunLogWriter } from '../../src/engine/run-log-writer.ts';
import { RunStream, type StreamEvent } from '../../src/engine/run-stream.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import {
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { makeRun } from '../helpers/records.ts';
import { until } from '../helpers/until.ts';

// A large run's stream stays bounded: stored snapshots are a few bytes of counts, a snapshot
// sent lists the newest few results, and a reader holds only the lines the next snapshot needs.
const RESULTS = 300;
const SNAPSHOT = 10;
const MAX_EVENTS = 60;

describe.each(dialects)('run stream bounds on %s', (dialect) => {
  let t: TestStore | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('keeps a bounded tail of results however many the run has', async () => {
    t = await openTestStore(dialect);
    const { store } = t;
    const p = await newProject(store);
    const ids = Array.from({ length: RESULTS }, (_, i) => `t${i}`);
    const run = await store.runs.create(
      makeRun(p.id, ids, { status: 'running', startedAt: new Date().toISOString() }),
    );
    const events = new InProcessEventBus();
    const writer = new RunLogWriter({ store, events });
    writer.start();
    const stream = new RunStream({
      store,
      feed: writer,
      maxEvents: MAX_EVENTS,
      snapshotResults: SNAPSHOT,
      pollMs: 0,
    });
    stream.start();
    try {
      const seen: StreamEvent[] = [];
      const att = await stream.attach(run.id, null, (e) => seen.push(e));
      for (let i = 0; i < RESULTS; i++) {
        events.publish({
          type: 'test.finished',
          runId: run.id,
          projectId: p.id,
          at: new Date().toISOString(),
          testId: ids[i]!,
          testName: `test ${i}`,
          attempt: 1,
          status: 'passed',
          durationMs: 1,
          counts: { ...emptyCounts(RESULTS), passed: i + 1 },
        });
        // Batches of several sizes: events published while a write is out go in the next one.
        if (i % 7 === 0) await writer.drain(run.id);
      }
      await writer.drain(run.id);
      const snapshotsOf = (es: StreamEvent[]) =>
        es.flatMap((e) => (e.type === 'snapshot' ? [e.data] : []));
      await until('every snapshot', () => snapshotsOf(seen).length === RESULTS);
      att.detach();

      const snapshots = snapshotsOf(seen);
      snapshots.forEach((s, k) => {
        const total = k + 1;
        expect(s.resultsTotal).toBe(total);
        expect(s.run.passed).toBe(total);
        expect(s.results.map((r) => r.testName)).toEqual(
          Array.from(
            { length: Math.min(SNAPSHOT, total) },
            (_, j) => `test ${total - Math.min(SNAPSHOT, total) + j}`,
          ),
        );
      });
      const ids2 = seen.map((e) => e.id);
      expect(ids2).toEqual(Array.from({ length: 2 * RESULTS }, (_, i) => att.lastId + i + 1));
      // Stored snapshots hold counts, not result lines: a row's size does not grow with the run.
      const rows = await store.db
        .selectFrom('run_stream_events')
        .select(['type', 'data'])
        .where('run_id', '=', run.id)
        .where('type', '=', 'snapshot')
        .execute();
      expect(Math.max(...rows.map((r) => r.data.length))).toBeLessThan(400);

      // A client the log cannot catch up gets the same bounded snapshot from the store.
      const fromStore = await stream.snapshotFromStore(run);
      expect(fromStore.results.length).toBeLessThanOrEqual(SNAPSHOT);

      // Resuming from an id in the log replays snapshots as they were.
      const last = seen.at(-1)!.id;
      const resumed = await stream.attach(run.id, last - 4, () => {});
      expect(stream.retainedResults(run.id)).toBeLessThanOrEqual(SNAPSHOT);
      resumed.detach();
      expect(resumed.backlog!.map((e) => e.id)).toEqual([last - 3, last - 2, last - 1, last]);
      expect(snapshotsOf(resumed.backlog!).at(-1)).toEqual(snapshots.at(-1));
      // Further behind than maxEvents, or an id the log never gave: a snapshot instead.
      const far = await stream.attach(run.id, last - MAX_EVENTS - 1, () => {});
      far.detach();
      expect(far.backlog).toBeNull();
      const unknown = await stream.attach(run.id, last + 1, () => {});
      unknown.detach();
      expect(unknown.backlog).toBeNull();
      expect(unknown.lastId).toBe(last);
      expect(stream.size).toBe(0);
    } finally {
      stream.stop();
      await writer.stop();
    }
  }, 180_000);
});
