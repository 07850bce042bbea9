import { vi } from 'vitest';

/**
 * The one way the tests wait for something: `probe` is asked again (vitest's `vi.waitFor`,
 * every `intervalMs`) until it gives a value other than undefined, null or false, which is
 * returned; after `timeoutMs` the test fails naming `what` and the last value seen.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  let last: unknown;
  try {
    return await vi.waitFor(
      async () => {
        const v = await probe();
        last = v;
        if (v === undefined || v === null || v === false) throw new Error('not yet');
        return v;
      },
      { timeout: opts.timeoutMs ?? 30_000, interval: opts.intervalMs ?? 25 },
    );
  } catch {
    throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last) ?? 'undefined'})`);
  }
}
