/** How a browser was obtained: started here, or connected to a remote Playwright server. */
export type LaunchMode = 'local' | 'remote';

const counts = new Map<string, number>();

/** Count one browser started (or connected) by this process; /metrics reads the totals. */
export function countLaunch(browser: string, mode: LaunchMode): void {
  const key = `${browser}\u0000${mode}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Totals since the process started, per browser and mode. */
export function launchCounts(): { browser: string; mode: LaunchMode; count: number }[] {
  return [...counts].map(([key, count]) => {
    const [browser = '', mode] = key.split('\u0000');
    return { browser, mode: mode as LaunchMode, count };
  });
}
