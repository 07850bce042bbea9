import { connect } from 'node:net';
import { findChromium } from '../browser/find-chromium.ts';
import type { Config } from '../config.ts';

export { launchCounts } from '../browser/launch-count.ts';

/** One readiness check's outcome. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** Whether this process can get a browser: a binary on disk, or a reachable remote server. */
export async function checkBrowser(
  config: Pick<Config, 'chromiumPath' | 'browserWs'>,
  timeoutMs: number,
): Promise<CheckResult> {
  if (config.browserWs) {
    const url = new URL(config.browserWs);
    const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
    try {
      await reachable(url.hostname, port, timeoutMs);
      return { ok: true, detail: `remote ${url.host}` };
    } catch (err) {
      return { ok: false, detail: `remote ${url.host}: ${(err as Error).message}` };
    }
  }
  try {
    return { ok: true, detail: findChromium(config) };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

function reachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs} ms`));
    });
  });
}
