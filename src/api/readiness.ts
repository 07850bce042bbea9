import type { Config } from '../config.ts';
import { checkBrowser } from '../engine/browser-status.ts';
import type { Engine } from '../engine/engine.ts';
import type { Store } from '../store/connect.ts';

import type { CheckResult } from '../engine/browser-status.ts';

export type { CheckResult };
export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; queue: CheckResult; browser: CheckResult };
}

const TIMEOUT_MS = 2000;

/**
 * The readiness checks, cached for `cacheMs` so a probe every second costs one database round
 * trip every few seconds. The browser check looks for a binary (or opens a TCP connection to a
 * remote browser server); it never launches one, which would cost ~100 ms and memory per probe.
 */
export function readinessChecker(
  deps: { store: Store; engine: Engine; config: Config },
  cacheMs = 5000,
): () => Promise<Readiness> {
  let cached: { at: number; value: Promise<Readiness> } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) cached = { at: now, value: check(deps) };
    return cached.value;
  };
}

async function check(deps: { store: Store; engine: Engine; config: Config }): Promise<Readiness> {
  const [database, browser] = await Promise.all([
    checkDatabase(deps.store),
    checkBrowser(deps.config, TIMEOUT_MS),
  ]);
  const queue: CheckResult = deps.engine.running
    ? { ok: true, detail: 'worker loops running' }
    : { ok: false, detail: 'engine not started or stopping' };
  return { ready: database.ok && queue.ok && browser.ok, checks: { database, queue, browser } };
}

async function checkDatabase(store: Store): Promise<CheckResult> {
  try {
    await withTimeout(store.ping(), 'database');
    return { ok: true, detail: store.dialect };
  } catch (err) {
    return { ok: false, detail: `${store.dialect}: ${(err as Error).message}` };
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`${what} did not answer in ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      ).unref(),
    ),
  ]);
}
