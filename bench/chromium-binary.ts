// Benchmark: what one test costs the machine in Debian's chromium-headless-shell (the binary
// findChromium prefers) against full Chromium (the baseline), both launched with Greenlight's
// flags. A "test" is what every run pays at least: a fresh context and page, a page load from a
// local server and one click. CPU is the whole machine's (/proc/stat), since most of a browser's
// work is in processes Node never waits for; so run it on an otherwise quiet machine, or
// everything else running is counted too. Medians of --runs rounds of --tests tests each.
//   node bench/chromium-binary.ts [--runs 3] [--tests 10] [--json]
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromiumArgs } from '../src/browser/find-chromium.ts';
import { playwright } from '../src/browser/playwright.ts';
import { argOf, captureStdout, emitResult, median, table } from './lib/result.ts';

captureStdout();
const runs = Number(argOf('runs', '3'));
const tests = Number(argOf('tests', '10'));

const binaries = {
  'chromium-headless-shell': [
    '/usr/lib/chromium/chromium-headless-shell',
    '/usr/bin/chromium-headless-shell',
  ],
  chromium: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
};

/** CPU seconds the whole machine has spent (user, nice, system, irq, softirq). */
function machineCpu(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
}

const page = '<!doctype html><title>t</title><h1>Hello</h1><button>Go</button><p>text</p>';
const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end(page);
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

interface Round {
  launchCpu: number;
  testCpu: number;
  testWall: number;
}

async function round(executablePath: string): Promise<Round> {
  const c0 = machineCpu();
  const browser = await playwright().chromium.launch({ executablePath, args: [...chromiumArgs] });
  const c1 = machineCpu();
  const t1 = performance.now();
  for (let i = 0; i < tests; i++) {
    const context = await browser.newContext();
    const p = await context.newPage();
    await p.goto(url);
    await p.getByRole('button', { name: 'Go' }).click();
    await context.close();
  }
  const c2 = machineCpu();
  const t2 = performance.now();
  await browser.close();
  return { launchCpu: c1 - c0, testCpu: (c2 - c1) / tests, testWall: (t2 - t1) / 1000 / tests };
}

const found = Object.entries(binaries).flatMap(([name, paths]) => {
  const path = paths.find((p) => existsSync(p));
  return path ? [{ name, path }] : [];
});
const results = new Map<string, Round>();
for (const { name, path } of found) {
  const rounds: Round[] = [];
  for (let i = 0; i < runs; i++) rounds.push(await round(path));
  const r = {
    launchCpu: median(rounds.map((x) => x.launchCpu)),
    testCpu: median(rounds.map((x) => x.testCpu)),
    testWall: median(rounds.map((x) => x.testWall)),
  };
  results.set(name, r);
  console.log(
    `${name} (${path}): launch ${r.launchCpu.toFixed(2)} CPU-s, per test ${r.testCpu.toFixed(2)} CPU-s, ${r.testWall.toFixed(2)} s`,
  );
}
server.close();

const shell = results.get('chromium-headless-shell');
const full = results.get('chromium');
if (!shell || !full) {
  console.log(
    'both chromium and chromium-headless-shell are needed (apt-get install -y chromium chromium-headless-shell)',
  );
  process.exit(2);
}
const round2 = (n: number): number => Number(n.toFixed(2));
emitResult({
  bench: 'chromium-binary',
  command: `node bench/chromium-binary.ts --runs ${runs} --tests ${tests}`,
  measures: [
    {
      name: 'CPU per test (context, page, load, click)',
      value: round2(shell.testCpu),
      unit: 'CPU-s',
      baseline: round2(full.testCpu),
      baselineName: 'full Chromium',
      better: 'lower',
    },
    {
      name: 'CPU per browser launch',
      value: round2(shell.launchCpu),
      unit: 'CPU-s',
      baseline: round2(full.launchCpu),
      baselineName: 'full Chromium',
      better: 'lower',
    },
    {
      name: 'wall time per test',
      value: round2(shell.testWall),
      unit: 's',
      baseline: round2(full.testWall),
      baselineName: 'full Chromium',
      better: 'lower',
    },
  ],
  markdown: table(
    ['binary', 'launch CPU-s', 'CPU-s per test', 's per test'],
    [...results].map(([name, r]) => [
      name,
      r.launchCpu.toFixed(2),
      r.testCpu.toFixed(2),
      r.testWall.toFixed(2),
    ]),
  ),
});
