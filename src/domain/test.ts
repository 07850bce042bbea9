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
  /** Globs of repo or URL paths the test covers (selection strategy `changed`). */
  covers?: string[];
  /** Data set the test runs once per row of (document field `data`); null: a plain test. */
  dataSet?: string | null;
  /** Set when a crawl found the test's page gone or its locators unmatched; cleared by approve/edit. */
  stale?: { reason: string; at: string } | null;
  /** Set while quarantined: the test runs and is reported, but never decides a verdict. */
  quarantine?: Quarantine | null;
}

/** Why, when and by whom a test was quarantined. */
export interface Quarantine {
  reason: string;
  at: string;
  /** A user's email or a token name; never a secret. */
  by: string;
}
