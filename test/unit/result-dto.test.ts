import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testResultDto, toTestResultDto } from '../../src/api/dto.ts';
import { testResultSchema, type Artifacts, type TestResult } from '../../src/domain/run.ts';
import { makeResult } from '../helpers/records.ts';

// The API's result is the domain's result (domain/run.ts) with descriptions, artifact URLs and a
// numeric variant. Fastify encodes a reply through the DTO, and zod writes keys in the schema's
// order: these cases pin the bytes a client gets, whatever order the result was built in.

const at = '2026-01-01T00:00:00.000Z';
const urlOf = (path: string): string => `http://h/${path}`;

// Keys deliberately in reverse order: the wire order must come from the schema.
const artifacts: Artifacts = {
  missing: [{ reason: 'timeout', name: 'trace' }],
  dropped: [{ reason: 'file_limit', bytes: 10, name: 'big.zip' }],
  screenshots: [{ step: 0, path: 'a/s1.png', name: 'step-1' }],
  video: 'a/v.webm',
  trace: 'a/trace.zip',
  screenshot: 'a/failure.png',
};
const failedStep = {
  error: 'boom',
  durationMs: 3,
  status: 'failed',
  description: 'click',
  action: 'click',
  index: 1,
} as const;
const result: TestResult = {
  row: 'admin',
  variant: '2',
  healed: [{ strategy: 'role', to: 'role=button', from: 'css=#b', step: 1 }],
  quarantined: true,
  retries: [
    {
      finishedAt: at,
      startedAt: at,
      artifacts: {},
      steps: [failedStep],
      durationMs: 4,
      failedStep: 1,
      error: 'boom',
      status: 'failed',
      attempt: 1,
    },
  ],
  finishedAt: at,
  startedAt: at,
  visitedUrls: ['/a'],
  visual: [
    {
      diff: 'd.png',
      expected: 'e.png',
      actual: 'a.png',
      message: 'differs',
      maxDiffRatio: 0,
      threshold: 0.1,
      diffRatio: 0.5,
      diffPixels: 9,
      height: 2,
      width: 3,
      status: 'failed',
      variant: 'chromium-default',
      name: 'home',
    },
  ],
  artifacts,
  failedRequests: [{ failure: 'net', status: 500, method: 'GET', url: 'http://x/' }],
  consoleErrors: [{ url: 'http://x/', text: 'oops', type: 'error' }],
  steps: [failedStep],
  error: 'boom',
  failedStep: 1,
  durationMs: 7,
  attempt: 2,
  status: 'flaky',
  testName: 'T',
  testId: 't1',
  runId: 'r1',
  id: 'res1',
};

const wireStep = {
  index: 1,
  action: 'click',
  description: 'click',
  status: 'failed',
  durationMs: 3,
  error: 'boom',
};

describe('a test result on the wire', () => {
  it('has every field of the domain result, in its order', () => {
    expect(Object.keys(testResultDto.shape)).toEqual(Object.keys(testResultSchema.shape));
  });

  it('is written in the domain order with URLs beside paths and the variant as a number', () => {
    const encoded = z.safeEncode(testResultDto, toTestResultDto(result, urlOf));
    expect(encoded.success).toBe(true);
    const expected = {
      id: 'res1',
      runId: 'r1',
      testId: 't1',
      testName: 'T',
      status: 'flaky',
      attempt: 2,
      durationMs: 7,
      failedStep: 1,
      error: 'boom',
      steps: [wireStep],
      consoleErrors: [{ type: 'error', text: 'oops', url: 'http://x/' }],
      failedRequests: [{ url: 'http://x/', method: 'GET', status: 500, failure: 'net' }],
      artifacts: {
        screenshot: 'a/failure.png',
        screenshotUrl: 'http://h/a/failure.png',
        trace: 'a/trace.zip',
        traceUrl: 'http://h/a/trace.zip',
        video: 'a/v.webm',
        videoUrl: 'http://h/a/v.webm',
        screenshots: [{ name: 'step-1', path: 'a/s1.png', step: 0, url: 'http://h/a/s1.png' }],
        dropped: [{ name: 'big.zip', bytes: 10, reason: 'file_limit' }],
        missing: [{ name: 'trace', reason: 'timeout' }],
      },
      visual: [
        {
          name: 'home',
          variant: 'chromium-default',
          status: 'failed',
          width: 3,
          height: 2,
          diffPixels: 9,
          diffRatio: 0.5,
          threshold: 0.1,
          maxDiffRatio: 0,
          message: 'differs',
          actual: 'a.png',
          expected: 'e.png',
          diff: 'd.png',
        },
      ],
      visitedUrls: ['/a'],
      startedAt: at,
      finishedAt: at,
      retries: [
        {
          attempt: 1,
          status: 'failed',
          error: 'boom',
          failedStep: 1,
          durationMs: 4,
          steps: [wireStep],
          artifacts: {},
          startedAt: at,
          finishedAt: at,
        },
      ],
      quarantined: true,
      healed: [{ step: 1, from: 'css=#b', to: 'role=button', strategy: 'role' }],
      variant: 2,
      row: 'admin',
    };
    // Compared as text: toEqual ignores key order, a client's parser may not.
    expect(JSON.stringify(encoded.data)).toBe(JSON.stringify(expected));
  });

  it('leaves out what a plain passing result does not have', () => {
    const plain: TestResult = makeResult('r1', 't2', {
      id: 'res2',
      testName: 'U',
      startedAt: at,
      finishedAt: at,
      variant: '',
    });
    const encoded = z.safeEncode(testResultDto, toTestResultDto(plain));
    expect(JSON.stringify(encoded.data)).toBe(
      '{"id":"res2","runId":"r1","testId":"t2","testName":"U","status":"passed","attempt":1,' +
        '"durationMs":1,"failedStep":null,"error":null,"steps":[],"consoleErrors":[],' +
        `"failedRequests":[],"artifacts":{},"startedAt":"${at}","finishedAt":"${at}"}`,
    );
  });
});
