import { z } from 'zod';
import { ciSummaryOf } from '../domain/ci-status.ts';
import { defined } from '../domain/defined.ts';
import { runStatuses, type Run } from '../domain/run.ts';

/** A run as pipelines read it: Sentri's status vocabulary plus Greenlight's own detail. */
export const ciRunDto = z
  .object({
    runId: z.string(),
    projectId: z.string(),
    status: z.enum(['running', 'completed', 'failed', 'aborted']),
    runStatus: z.enum(runStatuses).describe('Greenlight status (queued, running, passed, …)'),
    passed: z.number().int(),
    failed: z.number().int().describe('Failed plus errored tests'),
    total: z.number().int(),
    skipped: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    url: z.string().optional().describe("The run's page in the dashboard, for people"),
  })
  .meta({ id: 'CiRun' });
type CiRunDto = z.output<typeof ciRunDto>;

/** The CI shape of a run: GET /runs/:runId, the abort answer and the SSE `done` event. */
export function toCiRunDto(run: Run, url?: string): CiRunDto {
  return {
    ...defined({ url }),
    ...ciSummaryOf(run),
    projectId: run.projectId,
    runStatus: run.status,
    skipped: run.skipped,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}
