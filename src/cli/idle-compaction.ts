import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

/**
 * Give memory back when a long-lived process goes quiet. V8 shrinks its heap in a
 * memory-reducing collection, which Chrome asks for when a tab goes idle; Node never does, so a
 * server keeps the heap it grew during start-up or its last run (old-space pages, start-up
 * code) for as long as it sits idle. Every `everyMs` this looks at how busy the event loop was
 * since the last look; when it was nearly idle and the heap grew since the last compaction, it
 * runs one memory-reducing collection (V8's "last resort" flavour: compacts, releases free pages,
 * flushes code that has not run lately). It costs one pause of tens of milliseconds, only when
 * nothing is going on.
 */
export interface IdleCompactionOptions {
  logger?: Logger;
  /** How often to look (default 5 s). */
  everyMs?: number;
  /** Event-loop utilisation under which the process counts as idle (default 0.02). */
  idleBelow?: number;
  /** Heap growth since the last compaction that makes another one worth it (default 4 MiB). */
  minGrowthBytes?: number;
}

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** Node's `gc` function without starting the process with `--expose-gc`. */
function exposedGc(): Gc {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Gc;
}

export interface Compaction {
  heapBefore: number;
  heapAfter: number;
  ms: number;
}

/** Start watching; the returned function stops it. The timer never keeps the process alive. */
export function startIdleCompaction(o: IdleCompactionOptions = {}): () => void {
  const gc = exposedGc();
  const idleBelow = o.idleBelow ?? 0.02;
  const minGrowth = o.minGrowthBytes ?? 4 * 1024 * 1024;
  // Start-up itself counts as growth: the first quiet moment after it compacts.
  let after = 0;
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    const heapBefore = getHeapStatistics().total_heap_size;
    if (busy >= idleBelow || heapBefore < after + minGrowth) return;
    const c = compactNow(gc, heapBefore);
    after = c.heapAfter;
    // The pause was ours, not the application's: it must not make the next look count as busy.
    last = performance.eventLoopUtilization();
    o.logger?.debug(c, 'idle: heap compacted');
  }, o.everyMs ?? 5_000);
  timer.unref();
  return () => clearInterval(timer);
}

function compactNow(gc: Gc, heapBefore: number): Compaction {
  const t = performance.now();
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return {
    heapBefore,
    heapAfter: getHeapStatistics().total_heap_size,
    ms: Math.round(performance.now() - t),
  };
}
