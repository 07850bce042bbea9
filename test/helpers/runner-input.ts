import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSteps } from '../../src/domain/test-definition.ts';
import type { Step } from '../../src/domain/steps.ts';
import type { BrowserPool } from '../../src/browser/browser-pool.ts';
import { runTest, type RunTestInput } from '../../src/runner/run-test.ts';

/** Parse raw step objects as a test file would (within blocks expanded), failing loudly on a typo. */
export function steps(raw: unknown[]): Step[] {
  return raw.flatMap((r, i) => {
    const p = parseSteps(r);
    if ('issues' in p) throw new Error(`step ${i + 1}: ${JSON.stringify(p.issues)}`);
    return p.steps;
  });
}

let n = 0;

/** A RunTestInput with defaults for tests: its own artifacts folder under one temp base. */
export function runnerInput(
  base: string,
  baseUrl: string,
  raw: unknown[],
  extra: Partial<Omit<RunTestInput, 'test'>> & { test?: Partial<RunTestInput['test']> } = {},
): RunTestInput {
  n += 1;
  const { test, ...rest } = extra;
  return {
    test: {
      id: `t${n}`,
      name: `test ${n}`,
      steps: steps(raw),
      variables: {},
      timeoutMs: null,
      stepTimeoutMs: 5_000,
      ...test,
    },
    baseUrl,
    variables: {},
    secrets: [],
    artifactsDir: join(base, 'artifacts', `t${n}`),
    artifactsBase: base,
    ...rest,
  };
}

export const tempBase = (): string => mkdtempSync(join(tmpdir(), 'greenlight-runner-'));

/**
 * Run each case's wrong expectation after `setup`, side by side in their own contexts (each
 * waits out its short timeout): `name: status error` per case, in the cases' order.
 */
export async function runWrongExpectations(
  pool: BrowserPool,
  base: string,
  baseUrl: string,
  setup: unknown[],
  cases: { name: string; step: unknown }[],
  timeout: number,
): Promise<string[]> {
  return Promise.all(
    cases.map(async (c) => {
      const step = { ...(c.step as object), timeout };
      const r = await runTest(pool, runnerInput(base, baseUrl, [...setup, step]));
      return `${c.name}: ${r.status} ${r.error ?? ''}`;
    }),
  );
}
