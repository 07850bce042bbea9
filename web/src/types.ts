// Shapes of the API's answers the dashboard reads (see /openapi.json).

export type Role = 'viewer' | 'editor' | 'admin';

export interface Me {
  user: { id: string; email: string; name: string | null; createdAt: string };
  workspace: { id: string; name: string };
  role: Role;
  via: 'session' | 'api_key';
}

export interface Project {
  id: string;
  slug: string;
  name: string;
  baseUrl: string;
  parallelWorkers: number;
  retries: number;
  failOnFlaky: boolean;
  healing: boolean;
  concurrencyPolicy: 'reject' | 'queue' | 'supersede';
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type TestStatus = 'draft' | 'approved' | 'rejected';

export interface Test {
  id: string;
  projectId: string;
  key: string | null;
  name: string;
  description: string | null;
  suite: string | null;
  tags: string[];
  status: TestStatus;
  steps: Record<string, unknown>[];
  variables: Record<string, string>;
  timeout: number | null;
  stepTimeout: number | null;
  covers: string[];
  flakyScore?: number;
  data: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
  reviewedAt: string | null;
  reviewedBy: string | null;
  stale: { reason: string; at: string } | null;
  quarantine: { reason: string; at: string; by: string } | null;
}

export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'error' | 'cancelled';

export interface Run {
  id: string;
  projectId: string;
  status: RunStatus;
  trigger: { source: string; actor?: string };
  testIds: string[];
  baseUrl: string;
  environment: string | null;
  parallelWorkers: number;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  errored: number;
  flaky: number;
  quarantined: number;
  options: Record<string, unknown> | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StepResult {
  index: number;
  action: string;
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  durationMs: number;
  error?: string;
}

export interface Artifacts {
  screenshot?: string;
  screenshotUrl?: string;
  trace?: string;
  traceUrl?: string;
  video?: string;
  videoUrl?: string;
  screenshots?: { name: string; path: string; step?: number; url?: string }[];
}

export interface VisualCheck {
  name: string;
  variant: string;
  status: 'new' | 'matched' | 'failed';
  width: number;
  height: number;
  diffPixels?: number;
  diffRatio?: number;
  message?: string;
  actual: string;
  expected?: string;
  diff?: string;
}

export type ResultStatus = 'passed' | 'failed' | 'error' | 'skipped' | 'flaky';

export interface TestResult {
  id: string;
  runId: string;
  testId: string;
  testName: string;
  status: ResultStatus;
  attempt: number;
  durationMs: number;
  failedStep: number | null;
  error: string | null;
  steps: StepResult[];
  consoleErrors: { type: string; text: string; url?: string }[];
  failedRequests: { url: string; method: string; status?: number; failure?: string }[];
  artifacts: Artifacts;
  visual?: VisualCheck[];
  startedAt: string;
  finishedAt: string;
  retries?: { attempt: number; status: ResultStatus; error: string | null; durationMs: number }[];
  quarantined?: boolean;
  healed?: { step: number; from: string; to: string; strategy: string }[];
  row?: string;
}

export interface Trends {
  runs: {
    runId: string;
    status: string;
    at: string;
    durationMs: number | null;
    total: number;
    passed: number;
    failed: number;
    flaky: number;
    passRate: number | null;
  }[];
  flakiest: TestTrend[];
  slowest: TestTrend[];
}

export interface TestTrend {
  testId: string;
  name: string;
  flakyScore: number;
  medianMs: number | null;
  maxMs: number | null;
  results: number;
}
