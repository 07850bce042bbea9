import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { resultStatuses, type ResultStatus, type Run } from '../domain/run.ts';
import type { Store } from '../store/connect.ts';
import type { ResultCursor } from '../store/results.ts';
import { testResultDto, toTestResultDto, type TestResultDto } from './dto.ts';
import type { ArtifactUrlOf } from './artifact-dto.ts';

/** Results a page holds unless `limit` says otherwise: every result of a run of up to 500 tests. */
const DEFAULT_RESULTS_PAGE = 500;

export const resultsPageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_RESULTS_PAGE)
    .describe('Results per page (1–1000, default 500)'),
  after: z
    .string()
    .max(200)
    .optional()
    .describe('The `next` value of the previous page; omit for the first page'),
  status: z
    .string()
    .max(100)
    .optional()
    .describe('Only results with these statuses, comma-separated (e.g. `failed,error`)'),
});

export const resultsPageDto = z.object({
  items: z.array(testResultDto),
  next: z.string().nullable().describe('Pass as `after` for the next page; null on the last page'),
});

/** The cursor as clients see it: opaque, URL-safe. */
const encode = (c: ResultCursor): string =>
  Buffer.from(JSON.stringify([c.startedAt, c.id])).toString('base64url');

function decode(text: string): ResultCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'string')) {
      return { startedAt: v[0] as string, id: v[1] as string };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new AppError('validation_failed', '`after` is not a cursor this API handed out', {
    after: text,
  });
}

function statusesOf(text: string | undefined): ResultStatus[] | undefined {
  if (!text) return undefined;
  const wanted = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((s) => !(resultStatuses as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new AppError('validation_failed', `unknown result status: ${unknown.join(', ')}`, {
      allowed: resultStatuses,
    });
  }
  return wanted as ResultStatus[];
}

/** One page of a run's results as the API returns it. */
export async function resultsPage(
  store: Store,
  run: Pick<Run, 'id' | 'projectId'>,
  query: z.output<typeof resultsPageQuery>,
  urlOf: ArtifactUrlOf,
): Promise<{ items: TestResultDto[]; next: string | null }> {
  const statuses = statusesOf(query.status);
  const page = await store.results.pageByRun(run.id, run.projectId, {
    limit: query.limit,
    after: query.after ? decode(query.after) : null,
    ...(statuses ? { statuses } : {}),
  });
  return {
    items: page.items.map((r) => toTestResultDto(r, urlOf)),
    next: page.next ? encode(page.next) : null,
  };
}
