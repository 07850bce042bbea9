import {
  PLAIN_VARIANT,
  rowLabel,
  variantTestName,
  type DataRow,
  type DataSet,
} from '../domain/data-set.ts';
import { AppError } from '../domain/errors.ts';
import type { Test } from '../domain/test.ts';
import type { PlannedJob } from '../queue/job-queue.ts';
import type { Store } from '../store/connect.ts';

/** The data set a data test uses in a run: the run's `dataSet` option swaps it; plain: null. */
const dataSetNameOf = (test: Test, override: string | null): string | null =>
  test.dataSet ? (override ?? test.dataSet) : null;

/**
 * Jobs of a run in plan order: one per plain test, one per row for a data test. A data set
 * that is missing (or empty) is an error naming it, so a run never silently skips rows.
 */
export async function planJobs(
  store: Store,
  projectId: string,
  orderedIds: readonly string[],
  tests: readonly Test[],
  override: string | null,
): Promise<PlannedJob[]> {
  const byId = new Map(tests.map((t) => [t.id, t]));
  const sets = new Map<string, DataSet>();
  const load = async (name: string, usedBy: string | null): Promise<DataSet> => {
    const cached = sets.get(name);
    if (cached) return cached;
    const set = await store.dataSets.get(projectId, name);
    if (!set) {
      const by = usedBy === null ? ' (run option dataSet)' : ` (used by test "${usedBy}")`;
      throw new AppError('not_found', `data set "${name}" not found${by}`, { dataSet: name });
    }
    if (set.rows.length === 0) {
      throw new AppError('bad_request', `data set "${name}" has no rows`, { dataSet: name });
    }
    sets.set(name, set);
    return set;
  };
  if (override !== null) await load(override, null);
  const jobs: PlannedJob[] = [];
  for (const id of orderedIds) {
    const test = byId.get(id);
    const name = test ? dataSetNameOf(test, override) : null;
    if (!test || name === null) {
      jobs.push({ testId: id, variant: PLAIN_VARIANT });
      continue;
    }
    const set = await load(name, test.name);
    // Each job carries its row: the run keeps the data set as it was at creation, whatever
    // happens to the set before the job runs.
    set.rows.forEach((row, i) => jobs.push({ testId: id, variant: String(i), row }));
  }
  return jobs;
}

/** The test as one job runs it: a data test's name carries its row, with the row's variables. */
export interface JobVariant {
  test: Test;
  /** Variables of the row (they win over environment and test variables); {} for a plain test. */
  row: DataRow;
  /** The row's label (`admin`, `#2`); null for a plain test. */
  label: string | null;
  /** Why the row cannot be used (data set deleted or shortened since the run was queued). */
  error: string | null;
}

/**
 * The row a job runs with: the snapshot taken when its run was created. Jobs queued before
 * snapshots existed (no `row`) resolve against the data set as it is now.
 */
export async function jobVariant(
  store: Store,
  test: Test,
  job: { variant: string; row: DataRow | null },
  override: () => Promise<string | null>,
): Promise<JobVariant> {
  const { variant } = job;
  if (variant === PLAIN_VARIANT) return { test, row: {}, label: null, error: null };
  const index = Number(variant);
  if (job.row) return withRow(test, job.row, index);
  const label = rowLabel(undefined, index);
  const name = dataSetNameOf(test, await override()) ?? test.dataSet ?? '';
  const set = name ? await store.dataSets.get(test.projectId, name) : undefined;
  const row = set?.rows[index];
  if (!row) {
    return {
      test: { ...test, name: variantTestName(test.name, label) },
      row: {},
      label,
      error: set
        ? `data set "${name}" has no row ${label} any more (it changed after the run was queued)`
        : `data set "${name}" was deleted after the run was queued`,
    };
  }
  return withRow(test, row, index);
}

function withRow(test: Test, row: DataRow, index: number): JobVariant {
  const label = rowLabel(row, index);
  return { test: { ...test, name: variantTestName(test.name, label) }, row, label, error: null };
}
