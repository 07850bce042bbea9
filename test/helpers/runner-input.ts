import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSteps } from '../../src/domain/test-definition.ts';
import type { Step } from '../../src/domain/steps.ts';
import type { RunTestInput } from '../../src/runner/run-test.ts';

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
