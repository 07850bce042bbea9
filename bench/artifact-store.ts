// Benchmark: publishing a test attempt's files to an S3-compatible server (s3rver on 127.0.0.1)
// against the baseline of copying them into a folder (what a shared data dir costs at least),
// and serving a large object through each store: wall time and the process's peak RSS growth,
// which shows the object is streamed, not held whole.
//   node bench/artifact-store.ts [--attempts 10] [--big-mb 64] [--json]
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemArtifactStore } from '../src/store/artifacts/filesystem.ts';
import { S3ArtifactStore } from '../src/store/artifacts/s3.ts';
import type { ArtifactStore } from '../src/store/artifacts/artifact-store.ts';
import { startS3Server } from '../test/helpers/s3-server.ts';
import { argOf, captureStdout, emitResult, median, table, type Measure } from './lib/result.ts';

captureStdout();
const attempts = Number(argOf('attempts', '10'));
const bigMb = Number(argOf('big-mb', '64'));
const work = mkdtempSync(join(tmpdir(), 'gl-bench-store-'));

/** One attempt as a failing test with every-step screenshots, a trace and a video leaves it. */
const files: [string, number][] = [
  ...Array.from({ length: 5 }, (_, i): [string, number] => [`step-${i + 1}.png`, 200_000]),
  ['failure.png', 200_000],
  ['trace.zip', 2_000_000],
  ['video.webm', 8_000_000],
];
const attemptBytes = files.reduce((n, [, b]) => n + b, 0);
const source = join(work, 'source');
mkdirSync(source);
for (const [name, bytes] of files) writeFileSync(join(source, name), randomBytes(bytes));

function stage(root: string, prefix: string): void {
  cpSync(source, join(root, ...prefix.split('/')), { recursive: true });
}

async function publishTimes(store: ArtifactStore): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const prefix = `artifacts/bench/t${i}-1`;
    stage(store.stagingRoot, prefix);
    const t0 = performance.now();
    const failed = await store.publish(prefix);
    times.push(performance.now() - t0);
    if (failed.length > 0) throw new Error(`publish failed: ${failed[0]!.reason}`);
  }
  return times;
}

/** Copying the staged files into another folder: the least a shared folder costs. */
function copyTimes(): number[] {
  const times: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const staged = join(work, 'staged', `t${i}`);
    stage(join(work, 'staged'), `t${i}`);
    const t0 = performance.now();
    cpSync(staged, join(work, 'shared', `t${i}`), { recursive: true });
    times.push(performance.now() - t0);
  }
  return times;
}

/** Stream one big object out of a store; wall time and peak RSS growth while it flows. */
async function serveBig(store: ArtifactStore, key: string): Promise<{ ms: number; rssMb: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const got = await store.get(key);
  let n = 0;
  for await (const chunk of got!.stream) {
    n += (chunk as Buffer).length;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = performance.now() - t0;
  clearInterval(timer);
  if (n !== bigMb * 1024 * 1024) throw new Error(`read ${n} bytes`);
  return { ms, rssMb: (peak - before) / 1024 / 1024 };
}

const s3 = await startS3Server();
const bucketStore = await S3ArtifactStore.open(s3.config('bench/'), work);
const folderStore = new FilesystemArtifactStore(join(work, 'data'));
try {
  const copy = median(copyTimes());
  const upload = median(await publishTimes(bucketStore));

  const big = join(work, 'big.bin');
  writeFileSync(big, randomBytes(bigMb * 1024 * 1024));
  await bucketStore.putFile('artifacts/bench/big/video.webm', big);
  await folderStore.putFile('artifacts/bench/big/video.webm', big);
  const fromFolder = await serveBig(folderStore, 'artifacts/bench/big/video.webm');
  const fromBucket = await serveBig(bucketStore, 'artifacts/bench/big/video.webm');

  const mb = (attemptBytes / 1e6).toFixed(1);
  const md = [
    `One attempt: ${files.length} files, ${mb} MB; median of ${attempts}. A ${bigMb} MiB object served once.`,
    '',
    table(
      ['measure', 'S3 (s3rver)', 'folder', 'ratio'],
      [
        [
          'publish an attempt',
          `${upload.toFixed(0)} ms`,
          `${copy.toFixed(0)} ms (copy)`,
          (upload / copy).toFixed(1),
        ],
        [
          'serve the big object',
          `${fromBucket.ms.toFixed(0)} ms`,
          `${fromFolder.ms.toFixed(0)} ms`,
          (fromBucket.ms / fromFolder.ms).toFixed(1),
        ],
        [
          'peak RSS growth while serving',
          `${fromBucket.rssMb.toFixed(1)} MB`,
          `${fromFolder.rssMb.toFixed(1)} MB`,
          '—',
        ],
      ],
    ),
  ].join('\n');
  console.log(md);
  const measures: Measure[] = [
    {
      name: 'publish an attempt',
      value: upload,
      unit: 'ms',
      baseline: copy,
      baselineName: 'copy to a folder',
      better: 'lower',
    },
    {
      name: `serve ${bigMb} MiB`,
      value: fromBucket.ms,
      unit: 'ms',
      baseline: fromFolder.ms,
      baselineName: 'filesystem store',
      better: 'lower',
    },
    {
      name: `peak RSS growth serving ${bigMb} MiB from S3`,
      value: fromBucket.rssMb,
      unit: 'MB',
      better: 'lower',
    },
  ];
  emitResult({
    bench: 'artifact-store',
    command: `node bench/artifact-store.ts --attempts ${attempts} --big-mb ${bigMb}`,
    measures,
    markdown: md,
  });
} finally {
  await bucketStore.close();
  await s3.close();
  rmSync(work, { recursive: true, force: true });
}
