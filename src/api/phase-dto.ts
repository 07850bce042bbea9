import { z } from 'zod';
import { isTerminal, type Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import { runCrawlStatuses, type RunCrawl } from '../store/run-crawls.ts';

// Where a run is: waiting, crawling its base URL (AegisRunner's `crawl: true`), running its
// tests, or finished — and what its crawl found. Added to every status a pipeline polls.

export const phaseDto = z
  .enum(['queued', 'crawl', 'tests', 'finished'])
  .describe('queued, crawl (crawling the base URL before the tests), tests, finished');

export const runCrawlDto = z
  .object({
    status: z.enum(runCrawlStatuses),
    crawlId: z.string().nullable().describe('GET /projects/:id/crawls/:crawlId for its site map'),
    pages: z.number().int().nullable(),
    brokenLinks: z.number().int().nullable(),
    serverErrors: z.number().int().nullable().describe('Pages and link targets answering 5xx'),
    generated: z
      .number()
      .int()
      .nullable()
      .describe('Draft tests for review; they do not run until approved'),
    error: z.string().nullable(),
  })
  .nullable()
  .describe("The run's crawl phase; null: the run does not crawl")
  .meta({ id: 'RunCrawl' });

export interface PhaseFields {
  phase: z.output<typeof phaseDto>;
  crawl: z.output<typeof runCrawlDto>;
}

/** The phase of a run and its crawl, from the run and its crawl row (if any). */
function phaseFields(run: Run, rc: RunCrawl | undefined): PhaseFields {
  const crawling = rc !== undefined && (rc.status === 'pending' || rc.status === 'running');
  const phase = isTerminal(run.status)
    ? 'finished'
    : rc?.status === 'running'
      ? 'crawl'
      : run.status === 'queued' || crawling
        ? 'queued'
        : 'tests';
  return {
    phase,
    crawl: rc
      ? {
          status: rc.status,
          crawlId: rc.crawlId,
          pages: rc.summary?.pages ?? null,
          brokenLinks: rc.summary?.brokenLinks ?? null,
          serverErrors: rc.summary?.serverErrors ?? null,
          generated: rc.summary?.generated ?? null,
          error: rc.error,
        }
      : null,
  };
}

/** phaseFields with the crawl row read from the store. */
export async function phaseOf(store: Store, run: Run): Promise<PhaseFields> {
  return phaseFields(run, await store.runCrawls.get(run.id));
}
