import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/cli/runtime.ts';
import { loadConfig } from '../../src/config.ts';
import { ScanService } from '../../src/engine/scan-service.ts';
import { scriptedExecutor } from '../fixtures/engine/scripted-executor.ts';
import { addTests, newProject, openTestStore } from '../fixtures/engine/test-stores.ts';
import { startEngine, stopEngines } from '../helpers/engine-harness.ts';
import { startTestApi } from '../helpers/test-api.ts';

/** A pino logger at `debug` whose JSON lines are kept, parsed, in `lines`. */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p) lines.push(JSON.parse(p) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stopEngines();
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('structured logs', () => {
  it('every line logged for a job names its run, job and test', async () => {
    const { logger, lines } = capture();
    const x = scriptedExecutor();
    const { store, engine } = await startEngine('sqlite', x.executor, { logger });
    const p = await newProject(store);
    const tests = await addTests(store, p, ['pass one', 'throw two', 'fail three']);
    const run = await engine.createRun(p.id, { selection: {}, trigger: { source: 'test' } });
    const done = await engine.waitForRun(run.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('failed');
    const jobs = await store.jobs.listByRun(run.id);
    expect(jobs).toHaveLength(3);

    const ofJobs = lines.filter((l) => l.jobId !== undefined);
    for (const job of jobs) {
      const mine = ofJobs.filter((l) => l.jobId === job.id);
      expect(mine.map((l) => l.msg)).toEqual(
        expect.arrayContaining(['test started', 'test finished']),
      );
      for (const l of mine) expect(l).toMatchObject({ runId: run.id, testId: job.testId });
    }
    const errored = lines.find((l) => l.msg === 'test errored');
    const thrower = tests[1]!;
    expect(errored).toMatchObject({ runId: run.id, testId: thrower.id, level: 40 });
    expect(errored?.jobId).toBe(jobs.find((j) => j.testId === thrower.id)?.id);
    // Lines of the run as a whole carry the run id.
    expect(lines.find((l) => l.msg === 'run finished')).toMatchObject({
      runId: run.id,
      status: 'failed',
    });
  });

  it('scan lines carry the scan id; request lines the request id', async () => {
    const { logger, lines } = capture();
    const t = await openTestStore('sqlite');
    cleanups.push(() => t.dispose());
    const api = await startTestApi({
      store: t,
      startEngine: false,
      config: { logLevel: 'debug' },
      logger,
    });
    cleanups.push(() => api.close());
    const project = await newProject(t.store);
    const scans = new ScanService({ store: t.store, config: api.config, logger });
    const { record } = await scans.scan(project, { files: { 'a.js': 'eval(x)\n' } }, null, 'api');
    const scanLines = lines.filter((l) => l.scanId === record.id);
    expect(scanLines.map((l) => l.msg)).toEqual(['scan started', 'scan finished']);
    expect(scanLines[1]).toMatchObject({ projectId: project.id });

    const res = await api.app.inject({
      url: '/api/v1/health',
      headers: { 'x-request-id': 'ci-job-42' },
    });
    expect(res.statusCode).toBe(200);
    const reqLines = lines.filter((l) => l.reqId === 'ci-job-42');
    expect(reqLines.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('a worker process names itself in every line and holds a lease under that name', async () => {
    const { logger, lines } = capture();
    const dataDir = mkdtempSync(join(tmpdir(), 'gl-logs-'));
    const rt = await openRuntime(loadConfig({}, { dataDir, workers: 1 }), {
      logger,
      kind: 'worker',
    });
    cleanups.push(async () => {
      await rt.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    expect(rt.processId).toMatch(/^.+:\d+:[0-9a-f]{6}$/);
    rt.logger.info('hello');
    expect(lines.find((l) => l.msg === 'hello')).toMatchObject({ processId: rt.processId });
    const live = await rt.store.processLeases.live(new Date().toISOString());
    expect(live.map((l) => [l.id, l.kind])).toEqual([[rt.processId, 'worker']]);
  });
});
