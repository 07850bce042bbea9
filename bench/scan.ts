// Scan gate throughput and secret recall. Run: node bench/scan.ts [--json]
// Throughput: files/s and lines/s over Greenlight's own tree and node_modules/typescript/lib,
// with 1 and 2 worker threads (the ratio 2:1 is the number to watch). Recall: a corpus of planted
// secrets generated here (random values in the shapes of real credentials, in code, config and
// .env lines) scanned with the shipped secrets pack; recall = secrets found / secrets planted.
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { defaultScanConfig, mergeScanConfig } from '../src/scan/scan-config.ts';
import { runScan } from '../src/scan/scanner.ts';
import { captureStdout, emitResult, type Measure } from './lib/result.ts';

captureStdout();

const root = join(import.meta.dirname, '..');
const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const upper = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const pick = (chars: string, n: number): string =>
  Array.from({ length: n }, () => chars[randomInt(chars.length)]).join('');

const linesPerSecond = new Map<string, number>();

async function throughput(label: string, dir: string, threads: number): Promise<string> {
  const config = mergeScanConfig(defaultScanConfig, { threads, maxFileBytes: 2_000_000 });
  const t0 = performance.now();
  const r = await runScan({ root: dir, config, threads });
  const s = (performance.now() - t0) / 1000;
  linesPerSecond.set(`${label}/${threads}`, r.summary.lines / s);
  return `| ${label} | ${threads} | ${r.summary.files} | ${r.summary.lines} | ${s.toFixed(2)} | ${Math.round(r.summary.files / s)} | ${Math.round(r.summary.lines / s)} | ${r.findings.length} |`;
}

const planted: [string, () => string][] = [
  ['aws', () => `AKIA${pick(upper, 16)}`],
  ['github', () => `ghp_${pick(alnum, 36)}`],
  ['slack', () => `xoxb-${randomInt(1e9, 9e9)}-${randomInt(1e11, 9e11)}-${pick(alnum, 24)}`],
  ['stripe', () => `sk_live_${pick(alnum, 24)}`],
  ['google', () => `AIza${pick(alnum, 35)}`],
  ['npm', () => `npm_${pick(alnum, 36)}`],
  ['jwt', () => `eyJ${pick(alnum, 30)}.eyJ${pick(alnum, 40)}.${pick(alnum, 43)}`],
  ['generic', () => pick(alnum, 24)],
  ['url', () => pick(alnum, 14)],
  ['pem', () => randomBytes(48).toString('base64')],
];

function plant(i: number): { path: string; text: string; kind: string } {
  const [kind, make] = planted[i % planted.length] as [string, () => string];
  const v = make();
  const wrap = i % 3;
  const line =
    kind === 'generic'
      ? [`const apiKey = '${v}';`, `API_SECRET: "${v}"`, `password = "${v}"`][wrap]
      : kind === 'url'
        ? [
            `const db = 'postgres://app:${v}@db:5432/x';`,
            `url: "mongodb://u:${v}@m.internal/db"`,
            `REDIS=redis://r:${v}@cache:6379`,
          ][wrap]
        : kind === 'pem'
          ? `-----BEGIN ${['RSA ', 'EC ', ''][wrap]}PRIVATE KEY-----\n${v}\n-----END PRIVATE KEY-----`
          : [`const token = "${v}";`, `token: ${v}`, `TOKEN=${v}`][wrap];
  const ext = ['ts', 'yaml', 'env'][wrap];
  return { path: `corpus/${kind}-${i}.${ext}`, text: `// config\n${line}\n`, kind };
}

async function recall(
  n: number,
): Promise<{ found: number; total: number; byKind: Record<string, [number, number]> }> {
  const files: Record<string, string> = {};
  const kinds: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const p = plant(i);
    files[p.path] = p.text;
    kinds[p.path] = p.kind;
  }
  const r = await runScan({
    files,
    config: mergeScanConfig(defaultScanConfig, { packs: ['secrets'] }),
  });
  const hit = new Set(r.findings.map((f) => f.file));
  const byKind: Record<string, [number, number]> = {};
  for (const [path, kind] of Object.entries(kinds)) {
    const k = (byKind[kind] ??= [0, 0]);
    k[1]++;
    if (hit.has(path)) k[0]++;
  }
  return { found: hit.size, total: n, byKind };
}

const rows = [
  '| tree | threads | files | lines | seconds | files/s | lines/s | findings |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const threads of [1, 2]) {
  rows.push(await throughput('greenlight (src, test, bench, …)', root, threads));
  rows.push(
    await throughput(
      'node_modules/typescript/lib',
      join(root, 'node_modules/typescript/lib'),
      threads,
    ),
  );
}
const rec = await recall(1000);
const out = [
  `### Scan gate (bench/scan.ts, ${new Date().toISOString().slice(0, 10)}, ${process.version})`,
  '',
  ...rows,
  '',
  `Secrets recall on ${rec.total} planted secrets: **${((100 * rec.found) / rec.total).toFixed(1)}%** (${rec.found}/${rec.total}); by kind: ${Object.entries(
    rec.byKind,
  )
    .map(([k, [f, t]]) => `${k} ${f}/${t}`)
    .join(', ')}.`,
  '',
];
console.log(out.join('\n'));
const measures: Measure[] = [];
for (const label of ['greenlight (src, test, bench, …)', 'node_modules/typescript/lib']) {
  measures.push({
    name: `${label}, 2 threads`,
    value: linesPerSecond.get(`${label}/2`) ?? 0,
    unit: 'lines/s',
    baseline: linesPerSecond.get(`${label}/1`) ?? 0,
    baselineName: '1 thread',
    better: 'higher',
  });
}
measures.push({
  name: `secrets recall, ${rec.total} planted`,
  value: (100 * rec.found) / rec.total,
  unit: '%',
  better: 'higher',
});
emitResult({
  bench: 'scan',
  command: 'node bench/scan.ts',
  measures,
  markdown: out.slice(2).join('\n').trim(),
});
