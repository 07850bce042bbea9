import type { Step } from './steps.ts';
import type { TestStatus } from './test-definition.ts';

/** A stored test of a project. */
export interface Test {
  id: string;
  projectId: string;
  /** Stable key from the imported file (re-import updates instead of duplicating). */
  key: string | null;
  name: string;
  description: string | null;
  suite: string | null;
  tags: string[];
  status: TestStatus;
  steps: Step[];
  variables: Record<string, string>;
  timeoutMs: number | null;
  stepTimeoutMs: number | null;
  /** Where the test came from: `import`, `api`, `demo`, `crawl`. */
  source: string;
  createdAt: string;
  updatedAt: string;
  reviewedAt: string | null;
  reviewedBy: string | null;
  /** Set when a crawl found the test's page gone or its locators unmatched; cleared by approve/edit. */
  stale?: { reason: string; at: string } | null;
}
