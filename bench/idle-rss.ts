// Benchmark: a `greenlight serve` with the demo (SQLite), idle after start-up, RSS only.
// Starts the server `--runs` times (3 by default), lets it sit `--settle` seconds with nothing to
// do (12 by default: long enough for two of the idle-compaction looks, one every 5 s), and
// prints the median of each start's settled RSS (8 samples 250 ms apart), so one change's effect
// on idle memory is cheap to compare; the baseline is bare Node's RSS measured by the same
// script (a ratio, not a timed assertion). `--idle-compaction off` measures without it.
// `--demo off` starts it as production does (`serve --no-demo`).
//   node bench/idle-rss.ts [--runs 3] [--settle 12] [--idle-compaction on|off] [--demo on|off]
//                          [--entry ts|built] [--node-flags "..."] [--json]
import { spawn } from 'node:child_process';
import { argOf, captureStdout, emitResult, median } from './lib/result.ts';
import { settledRss } from './lib/proc-tree.ts';
import { startServerProcess, type Entry } from './lib/server-process.ts';

captureStdout();
const runs = Number(argOf('runs', '3'));
const entry = argOf('entry', 'ts') as Entry;
const nodeFlags = argOf('node-flags', '').split(' ').filter(Boolean);
const settleS = Number(argOf('settle', '12'));
const compaction = argOf('idle-compaction', 'on');
process.env.GREENLIGHT_IDLE_COMPACTION = compaction;
const demo = argOf('demo', 'on') !== 'off';
const mb = (b: number): string => (b / 1024 / 1024).toFixed(1);

/** RSS of a bare Node process with the same flags: what Greenlight adds is measured against it. */
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    return await settledRss(child.pid!);
  } finally {
    child.kill();
  }
}

const samples: number[] = [];
for (let i = 0; i < runs; i++) {
  const server = await startServerProcess({ entry, nodeFlags, demo });
  try {
    await new Promise((r) => setTimeout(r, settleS * 1000));
    samples.push(await settledRss(server.pid));
  } finally {
    await server.stop();
  }
  console.log(`start ${i + 1}: idle RSS ${mb(samples.at(-1)!)} MB`);
}
const idle = median(samples);
const bare = await bareNodeRss();
console.log(
  `idle RSS median of ${runs}: ${mb(idle)} MB (bare node ${mb(bare)} MB, ${(idle / bare).toFixed(2)}x)`,
);
const flags = nodeFlags.length ? ` --node-flags "${nodeFlags.join(' ')}"` : '';
emitResult({
  bench: 'idle-rss',
  command: `node bench/idle-rss.ts --runs ${runs} --settle ${settleS} --idle-compaction ${compaction} --demo ${demo ? 'on' : 'off'} --entry ${entry}${flags}`,
  measures: [
    {
      name: `idle server RSS (${entry}${flags}, idle compaction ${compaction}${demo ? '' : ', no demo'})`,
      value: Number(mb(idle)),
      unit: 'MB',
      baseline: Number(mb(bare)),
      baselineName: 'bare node',
      better: 'lower',
    },
  ],
  markdown: '',
});
