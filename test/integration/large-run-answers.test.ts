import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_RESULTS } from '../../src/engine/run-stream.ts';
import { makeResult, makeRun } from '../helpers/records.ts';
import { sseReader } from '../helpers/sse.ts';
import { authOf, startHarness, type Harness } from './api-harness.ts';

// A finished 10,000-test run written straight into the store (no browser, no queue): what the
// report endpoints and the event stream answer for it must not grow with the run.
const TESTS = 10_000;
const FAILED_EVERY = 50;

let h: Harness;
let runId: string;

beforeAll(async () => {
  h = await startHarness();
  const p = await h.call('POST', '/api/v1/projects', { name: 'Big', baseUrl: 'http://big.test' });
  const projectId = p.body.id as string;
  const ids = Array.from({ length: TESTS }, (_, i) => `t-${String(i).padStart(5, '0')}`);
  const t0 = Date.parse('2026-12-01T00:00:00Z');
  const failed = Math.ceil(TESTS / FAILED_EVERY);
  const run = makeRun(projectId, ids, {
    status: 'failed',
    parallelWorkers: 4,
    passed: TESTS - failed,
    failed,
    createdAt: new Date(t0).toISOString(),
    startedAt: new Date(t0).toISOString(),
    finishedAt: new Date(t0 + TESTS * 10).toISOString(),
  });
  await h.store.runs.create(run);
  runId = run.id;
  for (let i = 0; i < TESTS; i += 1000) {
    await h.store.transaction(async (tx) => {
      for (let j = i; j < i + 1000; j++) {
        const at = new Date(t0 + j * 10).toISOString();
        const fails = j % FAILED_EVERY === 0;
        await tx.results.insert(
          projectId,
          makeResult(run.id, ids[j]!, {
            testName: `Test number ${j} <&> "quoted"`,
            status: fails ? 'failed' : 'passed',
            durationMs: 10,
            startedAt: at,
            finishedAt: at,
            ...(fails ? { error: `expected ${j} to be visible`, failedStep: 0 } : {}),
            steps: [
              { index: 0, action: 'goto', description: 'goto /', status: 'passed', durationMs: 5 },
            ],
          }),
        );
      }
    });
  }
}, 180_000);
afterAll(async () => {
  await h?.close();
});

const report = async (format: string): Promise<{ type: string; text: string }> => {
  const res = await fetch(`${h.url}/api/v1/runs/${runId}/report?format=${format}`, authOf(h));
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe(`a ${TESTS.toLocaleString('en')}-test run`, () => {
  it('answers JUnit XML with every testcase', async () => {
    const { type, text } = await report('junit');
    expect(type).toMatch(/^application\/xml/);
    const xml = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(
      text,
    ) as {
      testsuites: {
        '@_tests': string;
        '@_failures': string;
        testsuite: { testcase: unknown[] };
      };
    };
    expect(Number(xml.testsuites['@_tests'])).toBe(TESTS);
    expect(Number(xml.testsuites['@_failures'])).toBe(TESTS / FAILED_EVERY);
    expect(xml.testsuites.testsuite.testcase).toHaveLength(TESTS);
  }, 180_000);

  it('answers the JSON report with every result', async () => {
    const { type, text } = await report('json');
    expect(type).toMatch(/^application\/json/);
    const json = JSON.parse(text) as {
      summary: { total: number; failed: number };
      results: { testName: string }[];
    };
    expect(json.summary).toMatchObject({ total: TESTS, failed: TESTS / FAILED_EVERY });
    expect(json.results).toHaveLength(TESTS);
    expect(json.results[TESTS - 1]!.testName).toBe(`Test number ${TESTS - 1} <&> "quoted"`);
  }, 180_000);

  it('answers SARIF with one result per failed test', async () => {
    const { text } = await report('sarif');
    const sarif = JSON.parse(text) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results).toHaveLength(TESTS / FAILED_EVERY);
  }, 180_000);

  it('answers one HTML page with every test', async () => {
    const { type, text } = await report('html');
    expect(type).toMatch(/^text\/html/);
    expect(text.startsWith('<!doctype html>')).toBe(true);
    expect(text.trimEnd().endsWith('</body></html>')).toBe(true);
    expect(text.match(/<details class="test /g)).toHaveLength(TESTS);
  }, 180_000);

  it('opens its event stream with a bounded snapshot: counts and the newest results', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${h.url}/api/v1/runs/${runId}/events`, {
      ...authOf(h),
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    const raw = res.body!.tee();
    // The first event's bytes, as sent: read the raw stream up to the first blank line.
    const reader = raw[0].getReader();
    let first = '';
    while (!first.includes('\n\n')) {
      const { value, done } = await reader.read();
      if (done) break;
      first += new TextDecoder().decode(value);
    }
    void reader.cancel();
    const sse = sseReader(new Response(raw[1]), { skip: (m) => m.comment !== undefined });
    const snap = await sse.next();
    ctl.abort();
    expect(snap?.event).toBe('snapshot');
    const data = snap!.data as {
      run: { total: number; passed: number; failed: number };
      results: { testName: string }[];
      resultsTotal: number;
    };
    expect(data.run).toMatchObject({ total: TESTS, failed: TESTS / FAILED_EVERY });
    expect(data.resultsTotal).toBe(TESTS);
    expect(data.results).toHaveLength(SNAPSHOT_RESULTS);
    expect(data.results.at(-1)!.testName).toBe(`Test number ${TESTS - 1} <&> "quoted"`);
    // The run row carries its plan (10,000 ids): the results list is what must stay small.
    const withoutPlan = first.length - JSON.stringify(data.run).length;
    expect(withoutPlan).toBeLessThan(SNAPSHOT_RESULTS * 200 + 2_000);
  }, 180_000);
});
