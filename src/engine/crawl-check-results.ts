import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { ResultStatus, StepResult, TestResult } from '../domain/run.ts';
import type { CrawlFinding, CrawlFindings } from '../crawl/crawl-checks.ts';
import type { RunCrawlRequest } from '../store/run-crawls.ts';

/**
 * The results a run's crawl phase adds, one per check, known when the run is created so the
 * run's total counts them: a crawl that finds broken links or pages answering 5xx fails its
 * check, and so the run, like a failing test.
 */
export const CRAWL_CHECKS = [
  { id: 'crawl:broken-links', name: 'Crawl: no broken links', findings: 'brokenLinks' },
  { id: 'crawl:server-errors', name: 'Crawl: no page answers 5xx', findings: 'serverErrors' },
] as const satisfies readonly { id: string; name: string; findings: keyof CrawlFindings }[];

/** Findings listed in a check's error message; the steps list them all (up to MAX_STEPS). */
const IN_MESSAGE = 5;
const MAX_STEPS = 200;

/**
 * The crawl request as stored: pages resolved against the run's base URL (paths or absolute
 * URLs), each on its origin. A page elsewhere is a 400 naming it.
 */
export function crawlRequestOf(req: RunCrawlRequest, baseUrl: string): RunCrawlRequest {
  if (!req.pages?.length) {
    const { pages: _pages, ...rest } = req;
    return rest;
  }
  const origin = new URL(baseUrl).origin;
  const pages = req.pages.map((p) => {
    let u: URL;
    try {
      u = new URL(p, baseUrl);
    } catch {
      throw pageError(p, 'is not a path or an http(s) URL');
    }
    if (u.origin !== origin) throw pageError(p, `is not on the run's base URL (${origin})`);
    return u.href;
  });
  return { ...req, pages: [...new Set(pages)] };
}

function pageError(page: string, why: string): AppError {
  return new AppError('validation_failed', `crawlPages: "${page.slice(0, 200)}" ${why}`, [
    { path: 'body.crawlPages', message: `${page.slice(0, 200)} ${why}` },
  ]);
}

const describe = (f: CrawlFinding): string =>
  `${f.url} answered ${f.status === 0 ? 'nothing (connection failed)' : f.status}` +
  (f.from ? ` (linked from ${f.from})` : '');

/** How the crawl itself ended, as the checks need it. */
export type CrawlEnd =
  | { kind: 'done'; findings: CrawlFindings; pages: number; startUrl: string }
  | { kind: 'failed'; error: string };

/**
 * One result per crawl check. A crawl that failed, or reached no page, cannot say the site is
 * fine: its checks are errors (the run cannot pass), never silent passes.
 */
export function crawlCheckResults(
  runId: string,
  end: CrawlEnd,
  times: { startedAt: string; finishedAt: string },
): TestResult[] {
  const durationMs = Math.max(0, Date.parse(times.finishedAt) - Date.parse(times.startedAt));
  return CRAWL_CHECKS.map((check) => {
    const base = {
      id: randomUUID(),
      runId,
      testId: check.id,
      testName: check.name,
      attempt: 1,
      durationMs,
      consoleErrors: [],
      artifacts: {},
      ...times,
    };
    if (end.kind === 'failed' || end.pages === 0) {
      const error =
        end.kind === 'failed'
          ? `the crawl failed: ${end.error}`
          : `the crawl reached no page of ${end.startUrl}`;
      return { ...base, status: 'error', failedStep: null, error, steps: [], failedRequests: [] };
    }
    const found = end.findings[check.findings];
    if (found.length === 0) {
      const steps: StepResult[] = [
        {
          index: 0,
          action: 'crawl',
          description: `crawled ${end.pages} page${end.pages === 1 ? '' : 's'} from ${end.startUrl}`,
          status: 'passed',
          durationMs,
        },
      ];
      return {
        ...base,
        status: 'passed',
        failedStep: null,
        error: null,
        steps,
        failedRequests: [],
      };
    }
    const [one, many] =
      check.findings === 'brokenLinks'
        ? ['broken link', 'broken links']
        : ['page answering 5xx', 'pages answering 5xx'];
    const error =
      `${found.length} ${found.length === 1 ? one : many}: ` +
      found.slice(0, IN_MESSAGE).map(describe).join('; ') +
      (found.length > IN_MESSAGE ? `; … and ${found.length - IN_MESSAGE} more` : '');
    const steps: StepResult[] = found.slice(0, MAX_STEPS).map((f, index) => ({
      index,
      action: 'check',
      description: `GET ${f.url}${f.from ? ` (linked from ${f.from})` : ''}`,
      status: 'failed',
      durationMs: 0,
      error: describe(f),
    }));
    const status: ResultStatus = 'failed';
    return {
      ...base,
      status,
      failedStep: 0,
      error,
      steps,
      failedRequests: found.map((f) => ({
        url: f.url,
        method: 'GET',
        ...(f.status > 0 ? { status: f.status } : { failure: 'connection failed' }),
      })),
    };
  });
}
