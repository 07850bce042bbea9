import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { errorBody, passingExecutor, startHarness, type Harness } from './api-harness.ts';

// A run's results come a page at a time (a 10,000-test run answered one unbounded list), in the
// order they started, with an opaque cursor; both results routes and both clients page.

const executor: TestExecutor = async (job) => {
  const out = await passingExecutor(job);
  return job.test.name.startsWith('bad') ? { ...out, status: 'failed', error: 'nope' } : out;
};

let h: Harness;
const P = '/api/v1/projects/paging';
let runId = '';
const N = 23;

beforeAll(async () => {
  h = await startHarness({ executor });
  await h.call('POST', '/api/v1/projects', { name: 'Paging', baseUrl: 'http://paging.test' });
  for (let i = 0; i < N; i++) {
    const name = i % 5 === 0 ? `bad ${i}` : `good ${i}`;
    const res = await h.call('POST', `${P}/tests`, {
      name,
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(res.status).toBe(201);
  }
  const run = await h.call('POST', `${P}/runs`, {});
  expect(run.status).toBe(202);
  runId = run.body.id as string;
  await h.engine.waitForRun(runId, { timeoutMs: 30_000 });
});
afterAll(async () => {
  await h?.close();
});

async function all(path: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const q = `limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const res = await h.call('GET', `${path}${path.includes('?') ? '&' : '?'}${q}`);
    expect(res.status).toBe(200);
    const items = res.body.items as { id: string }[];
    expect(items.length).toBeLessThanOrEqual(limit);
    ids.push(...items.map((r) => r.id));
    after = res.body.next as string | null;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (after);
  return { ids, pages };
}

describe.each([
  ['project route', () => `${P}/runs/${runId}/results`],
  ['CI route', () => `/api/v1/runs/${runId}/results`],
])('results pages on the %s', (_name, path) => {
  it('returns every result once, in order, across pages', async () => {
    const whole = await h.call('GET', path());
    expect(whole.body.items).toHaveLength(N);
    expect(whole.body.next).toBeNull();
    const paged = await all(path(), 5);
    expect(paged.pages).toBe(5);
    expect(paged.ids).toEqual((whole.body.items as { id: string }[]).map((r) => r.id));
    expect(new Set(paged.ids).size).toBe(N);
  });

  it('filters by status', async () => {
    const failed = await all(`${path()}?status=failed,error`, 2);
    expect(failed.ids).toHaveLength(5);
  });

  it('refuses a forged cursor, an unknown status and a limit out of range', async () => {
    errorBody(await h.call('GET', `${path()}?after=not-a-cursor`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${path()}?status=passed,weird`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${path()}?limit=0`), 400, 'validation_failed');
    errorBody(await h.call('GET', `${path()}?limit=5000`), 400, 'validation_failed');
  });
});
