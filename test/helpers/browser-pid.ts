import type { Browser } from 'playwright-core';

/** The pid of a launched browser (Browser has no process(); Chromium tells over CDP). */
export async function browserPid(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number }[];
  };
  const pid = info.processInfo.find((p) => p.type === 'browser')?.id;
  if (!pid) throw new Error('no browser process in SystemInfo.getProcessInfo');
  return pid;
}
