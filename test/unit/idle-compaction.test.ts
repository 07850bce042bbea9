import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { startIdleCompaction } from '../../src/cli/idle-compaction.ts';
import { until } from '../helpers/until.ts';

interface Compacted {
  heapBefore: number;
  heapAfter: number;
  ms: number;
}

let stop: (() => void) | undefined;
afterEach(() => stop?.());

function watch(): Compacted[] {
  const seen: Compacted[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as Compacted & { msg: string };
      if (line.msg === 'idle: heap compacted') seen.push(line);
      done();
    },
  });
  stop = startIdleCompaction({ logger: pino({ level: 'debug' }, sink), everyMs: 100 });
  return seen;
}

/** Grow the heap by about 40 MB of objects that are garbage as soon as this returns. */
function growHeap(): number {
  const junk: number[][] = [];
  for (let i = 0; i < 400; i++) junk.push(Array.from({ length: 12_000 }, (_, j) => j + i));
  return junk.length;
}

it('a quiet process hands back the heap it grew', async () => {
  const seen = watch();
  growHeap();
  const c = await until('a compaction', () => seen[0]);
  expect(c.heapAfter).toBeLessThan(c.heapBefore);
  // Quiet with no new growth: no second pause.
  await new Promise((r) => setTimeout(r, 500));
  expect(seen).toHaveLength(1);
});

it('a busy event loop is left alone, and compacted once it goes quiet', async () => {
  growHeap();
  const seen = watch();
  // Keep the loop about 80% busy for a second: work in 40 ms slices, 10 ms apart.
  const busy = setInterval(() => {
    const end = Date.now() + 40;
    while (Date.now() < end);
  }, 10);
  await new Promise((r) => setTimeout(r, 1_000));
  clearInterval(busy);
  expect(seen).toHaveLength(0);
  await until('a compaction once quiet', () => seen[0]);
});

it('`serve` loads neither the scanner nor Octokit until they are used', () => {
  // Module loads are recorded by a loader hook in a fresh process; each command's module loads
  // only when that command runs (src/cli/main.ts), so this is what a server holds when idle.
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    await import('./src/cli/commands/serve.ts');
    const held = (part) => seen.some((u) => u.includes(part));
    console.log(JSON.stringify({
      octokit: held('/node_modules/@octokit/core/'),
      ignore: held('/node_modules/ignore/'),
      scanner: held('/src/scan/scanner.ts'),
      crawlCommand: held('/src/cli/commands/crawl.ts'),
      app: held('/src/api/app.ts'),
    }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(import.meta.dirname, '..', '..'),
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
    octokit: false,
    ignore: false,
    scanner: false,
    crawlCommand: false,
    app: true,
  });
}, 30_000);
