import { createRequire } from 'node:module';
import type * as JsDiff from 'diff';
import { stringify } from 'yaml';
import type { Step } from '../domain/steps.ts';
import type { TestStatus } from '../domain/test-definition.ts';
import type { TestSnapshot } from '../store/test-history.ts';

/** One side of a diff: a recorded version of a test. */
export interface DiffSide {
  version: number;
  document: TestSnapshot;
  status: TestStatus;
}

/** A changed top-level field; a field that is absent on one side is `null` there. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * A step-level change. `index` is the step's 0-based position in the newer version, except for a
 * removed step, where it is the position in the older one.
 */
export type StepChange =
  | { op: 'added'; index: number; step: Step }
  | { op: 'removed'; index: number; step: Step }
  | {
      op: 'changed';
      index: number;
      fromIndex: number;
      from: Step;
      to: Step;
      /** Keys of the step object whose values differ (`click`, `value`, `timeout`…). */
      keys: string[];
    };

export interface TestDiff {
  /** null when diffing against nothing (the first version). */
  from: number | null;
  to: number;
  /** Names of everything that changed, `steps` and `status` included. */
  changed: string[];
  /** Changed fields other than steps (name, tags, suite, status…). */
  fields: FieldChange[];
  steps: StepChange[];
  /** Unified diff of the YAML form of both versions. */
  unified: string;
}

/** Document fields compared one by one; `steps` get their own step-level diff. */
const FIELDS = [
  'key',
  'name',
  'description',
  'suite',
  'tags',
  'timeout',
  'stepTimeout',
  'variables',
  'data',
  'covers',
] as const;

/** jsdiff, loaded by the first diff asked for (a page of the dashboard, not an idle server). */
const jsdiff = (): typeof JsDiff => createRequire(import.meta.url)('diff') as typeof JsDiff;

/** Canonical JSON (sorted keys), so equal values compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The YAML a user would read: the document with its status, steps last. */
function testYaml(side: DiffSide): string {
  const { steps, ...rest } = side.document;
  return stringify({ ...rest, status: side.status, steps }, { lineWidth: 0 });
}

function stepKeys(a: Step, b: Step): string[] {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])];
  return keys.filter((k) => canonicalJson(ra[k]) !== canonicalJson(rb[k]));
}

/**
 * Step-level diff: a longest-common-subsequence alignment (jsdiff's diffArrays) of the steps by
 * their canonical JSON; a run of removed steps next to a run of added ones pairs up, one to one,
 * as changed steps, so editing a step's value reads as "step 3 changed", not "removed + added".
 */
export function diffSteps(from: Step[], to: Step[]): StepChange[] {
  const a = from.map(canonicalJson);
  const b = to.map(canonicalJson);
  const parts = jsdiff().diffArrays(a, b);
  const out: StepChange[] = [];
  let i = 0; // position in `from`
  let j = 0; // position in `to`
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (!part) continue;
    if (!part.added && !part.removed) {
      i += part.count;
      j += part.count;
      continue;
    }
    const next = parts[p + 1];
    const removed = part.removed ? part.count : next?.removed ? next.count : 0;
    const added = part.added ? part.count : next?.added ? next.count : 0;
    if ((part.removed && next?.added) || (part.added && next?.removed)) p++;
    const paired = Math.min(removed, added);
    for (let k = 0; k < paired; k++) {
      const f = from[i + k] as Step;
      const t = to[j + k] as Step;
      out.push({
        op: 'changed',
        index: j + k,
        fromIndex: i + k,
        from: f,
        to: t,
        keys: stepKeys(f, t),
      });
    }
    for (let k = paired; k < removed; k++) {
      out.push({ op: 'removed', index: i + k, step: from[i + k] as Step });
    }
    for (let k = paired; k < added; k++) {
      out.push({ op: 'added', index: j + k, step: to[j + k] as Step });
    }
    i += removed;
    j += added;
  }
  return out;
}

/** Structured and textual diff between two versions of a test (`from` null: from nothing). */
export function diffTestVersions(from: DiffSide | null, to: DiffSide): TestDiff {
  const fields: FieldChange[] = [];
  const before = (from?.document ?? {}) as Record<string, unknown>;
  const after = to.document as Record<string, unknown>;
  for (const field of FIELDS) {
    const x = before[field] ?? null;
    const y = after[field] ?? null;
    if (canonicalJson(x) !== canonicalJson(y)) fields.push({ field, from: x, to: y });
  }
  if ((from?.status ?? null) !== to.status) {
    fields.push({ field: 'status', from: from?.status ?? null, to: to.status });
  }
  const steps = diffSteps(from?.document.steps ?? [], to.document.steps);
  const changed = fields.map((f) => f.field);
  if (steps.length > 0) changed.push('steps');
  const unified = jsdiff().createTwoFilesPatch(
    from ? `v${from.version}` : 'empty',
    `v${to.version}`,
    from ? testYaml(from) : '',
    testYaml(to),
    undefined,
    undefined,
    { context: 3 },
  );
  return { from: from?.version ?? null, to: to.version, changed, fields, steps, unified };
}
