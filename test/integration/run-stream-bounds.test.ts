import { afterEach, describe, expect, it } from 'vitest';
import { RunStream, type StreamEvent } from '../../src/engine/run-stream.ts';
import { InProcessEventBus } from '../../src/events/event-bus.ts';
import {
  dialects,
  newProject,
  openTestStore,
  type TestStore,
} from '../fixtures/engine/test-stores.ts';
import { makeResult, makeRun } from '../helpers/records.ts';

// The run event log must not hold a large run's every result: snapshots list the newest few,
// and the log keeps only the lines those snapshots still need.
const STORED_BEFORE = 120;
const LIVE = 180;
const SNAPSHOT = 10;

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
    const ids = Array.from({ length: STORED_BEFORE + LIVE }, (_, i) => `t${i}`);
    const run = await store.runs.create(
      makeRun(p.id, ids, { status: 'running', startedAt: new Date().toISOString() }),
    );
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const result = (i: number) => {
      const at = new Date(t0 + i * 1000).toISOString();
      return makeResult(run.id, ids[i]!, { testName: `test ${i}`, startedAt: at, finishedAt: at });
    };
    // Results this process never saw as events (written before it started).
    for (let i = 0; i < STORED_BEFORE; i++) await store.results.insert(p.id, result(i));

    const events = new InProcessEventBus();
    const stream = new RunStream({ store, events, maxEvents: 60, snapshotResults: SNAPSHOT });
    stream.start();
    try {
      const seen: StreamEvent[] = [];
      const att = stream.attach(run.id, null, (e) => seen.push(e));
      for (let i = STORED_BEFORE; i < STORED_BEFORE + LIVE; i++) {
        await store.results.insert(p.id, result(i));
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
        });
        // The first event reads the run from the store; results stored meanwhile would be
        // taken as already known, as they are in a real server, and get no snapshot of their own.
        if (i === STORED_BEFORE) await stream.drain(run.id);
      }
      await stream.drain(run.id);
      att.detach();

      const snapshots = seen.flatMap((e) => (e.type === 'snapshot' ? [e.data] : []));
      expect(snapshots).toHaveLength(LIVE);
      snapshots.forEach((s, k) => {
        const total = STORED_BEFORE + k + 1;
        expect(s.resultsTotal).toBe(total);
        expect(s.results.map((r) => r.testName)).toEqual(
          Array.from({ length: SNAPSHOT }, (_, j) => `test ${total - SNAPSHOT + j}`),
        );
      });
      // 300 results went by; the log holds the tail its retained snapshots list, in chunks.
      expect(stream.retainedResults(run.id)).toBeLessThan(60 + SNAPSHOT + 64);

      // A client the log cannot catch up gets the same bounded snapshot from the store.
      const fromStore = await stream.snapshotFromStore(run);
      expect(fromStore.resultsTotal).toBe(STORED_BEFORE + LIVE);
      expect(fromStore.results.map((r) => r.testName)).toEqual(
        snapshots.at(-1)!.results.map((r) => r.testName),
      );
      // Resuming from an id still in the log replays snapshots as they were.
      const last = seen.at(-1)!.id;
      const resumed = stream.attach(run.id, last - 4, () => {});
      resumed.detach();
      const replayed = resumed.backlog!.flatMap((e) => (e.type === 'snapshot' ? [e.data] : []));
      expect(replayed.at(-1)).toEqual(snapshots.at(-1));
    } finally {
      stream.stop();
    }
  }, 180_000);
});
