import type { Logger } from 'pino';
import type { LocatorMemory } from '../domain/locator-memory.ts';
import type { Test } from '../domain/test.ts';
import type { Store } from '../store/connect.ts';
import type { TestOutcome } from './executor.ts';

/**
 * Memory of a test's locators for the runner. A failed read costs only healing, never the test:
 * the runner then starts from nothing and records afresh.
 */
export async function loadLocatorMemory(
  store: Store,
  projectId: string,
  test: Test,
  logger: Logger,
): Promise<LocatorMemory[]> {
  try {
    const all = await store.locatorMemory.forTest(projectId, test.id);
    // Steps removed since leave rows behind; they can never match, so they are not sent.
    return all.filter((m) => m.step < test.steps.length);
  } catch (err) {
    logger.warn({ projectId, testId: test.id, err: String(err) }, 'locator memory not loaded');
    return [];
  }
}

/**
 * Store what the execution recorded and return the outcome without it (memory is not part of a
 * result). Like loading, a failed write is logged and the test's result stands.
 */
export async function rememberLocators(
  store: Store,
  projectId: string,
  testId: string,
  outcome: TestOutcome,
  logger: Logger,
): Promise<TestOutcome> {
  const { locatorMemory, ...rest } = outcome;
  if (locatorMemory?.length) {
    await store.locatorMemory.save(projectId, testId, locatorMemory).catch((err: unknown) => {
      logger.warn({ projectId, testId, err: String(err) }, 'locator memory not saved');
    });
  }
  return rest;
}
