// `npm run bench`: every benchmark in one go. Each script runs as a child process with `--json`
// (its own tables go to bench/out/<name>.log), a progress line per step; then one table of every
// measure against its in-script baseline, and the whole appended to BENCHMARKS.md with the
// machine's facts and the commands that reproduce each number.
//   npm run bench [-- --quick | --full] [--only api,crawl] [--no-write]
// --quick: small sizes, a few minutes in all; --full: the sizes the issue asks for, with repeats.
import { spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { argOf, ratioOf, table, type BenchResult, type Measure } from './lib/result.ts';

type Mode = 'quick' | 'default' | 'full';
const mode: Mode = process.argv.includes('--quick')
  ? 'quick'
  : process.argv.includes('--full')
    ? 'full'
    : 'default';
const only = argOf('only', '')
  .split(',')
  .filter((s) => s !== '');
const write = !process.argv.includes('--no-write');
const root = join(import.meta.dirname, '..');
const outDir = join(root, 'bench', 'out');

interface Step {
  name: string;
  script: string;
  args: Record<Mode, string[]>;
  /** false: the script has no --json (its stdout is kept as its Markdown, with no measures). */
  json?: boolean;
}

const steps: Step[] = [
  {
    name: 'run',
    script: 'bench/run.ts',
    args: {
      quick: ['--workers', '2', '--repeat', '1'],
      default: ['--workers', '1,2,4', '--repeat', '1', '--tests', '60'],
      full: ['--workers', '1,2,4', '--repeat', '5', '--tests', '60'],
    },
  },
  {
    name: 'api',
    script: 'bench/api.ts',
    args: { quick: ['--seconds', '3'], default: ['--seconds', '10'], full: ['--seconds', '30'] },
  },
  {
    name: 'crawl',
    script: 'bench/crawl.ts',
    args: { quick: ['--pages', '30'], default: ['--pages', '500'], full: ['--pages', '500'] },
  },
  { name: 'scan', script: 'bench/scan.ts', args: { quick: [], default: [], full: [] } },
  { name: 'mask', script: 'bench/mask.ts', args: { quick: [], default: [], full: [] } },
  {
    name: 'healing',
    script: 'bench/healing.ts',
    args: {
      quick: ['--rounds', '1', '--workers', '4'],
      default: ['--rounds', '3', '--workers', '2'],
      full: ['--rounds', '5', '--workers', '2'],
    },
  },
  {
    name: 'data-scale',
    script: 'bench/data-scale.ts',
    args: {
      quick: ['--runs', '20000', '--tests', '2000', '--seconds', '2'],
      default: ['--runs', '100000', '--tests', '10000', '--seconds', '5'],
      full: ['--runs', '100000', '--tests', '10000', '--seconds', '15'],
    },
  },
  {
    name: 'report-build',
    script: 'bench/report-build.ts',
    args: {
      quick: ['--tests', '2000', '--dialects', 'sqlite', '--repeat', '2'],
      default: ['--tests', '10000', '--dialects', 'sqlite,postgres', '--repeat', '3'],
      full: ['--tests', '10000', '--dialects', 'sqlite,postgres', '--repeat', '5'],
    },
  },
  {
    name: 'resources',
    script: 'bench/resources.ts',
    args: { quick: ['--sizes', '10,20'], default: ['--sizes', '20,100'], full: ['--full'] },
  },
  {
    name: 'orchestration',
    script: 'bench/orchestration.ts',
    json: false,
    args: {
      quick: ['--sizes', '100,1000', '--dialects', 'sqlite'],
      default: ['--sizes', '100,1000,10000', '--dialects', 'sqlite,postgres'],
      full: ['--sizes', '100,1000,10000', '--dialects', 'sqlite,postgres'],
    },
  },
  {
    name: 'queue',
    script: 'bench/queue.ts',
    args: {
      quick: ['--jobs', '500', '--samples', '10'],
      default: ['--jobs', '2000', '--samples', '20'],
      full: ['--jobs', '10000', '--samples', '50'],
    },
  },
  {
    name: 'workers',
    script: 'bench/workers.ts',
    args: {
      quick: ['--tests', '20', '--workers', '1,2,3'],
      default: ['--tests', '60', '--workers', '1,2,3'],
      full: ['--tests', '60', '--workers', '1,2,3'],
    },
  },
  {
    name: 'rate-limit',
    script: 'bench/rate-limit.ts',
    args: { quick: ['--requests', '300'], default: [], full: ['--requests', '10000'] },
  },
  {
    name: 'artifact-store',
    script: 'bench/artifact-store.ts',
    args: {
      quick: ['--attempts', '3', '--big-mb', '8'],
      default: [],
      full: ['--attempts', '50', '--big-mb', '256'],
    },
  },
  {
    name: 'idle-rss',
    script: 'bench/idle-rss.ts',
    args: { quick: ['--runs', '1'], default: [], full: ['--runs', '5'] },
  },
  {
    name: 'soak',
    script: 'bench/soak.ts',
    args: { quick: ['--minutes', '1'], default: ['--minutes', '5'], full: ['--minutes', '30'] },
  },
  {
    name: 'chromium-binary',
    script: 'bench/chromium-binary.ts',
    args: { quick: ['--runs', '1', '--tests', '5'], default: [], full: ['--runs', '5'] },
  },
];

interface Done {
  step: Step;
  command: string;
  seconds: number;
  result?: BenchResult;
  error?: string;
}

/** Run one step as a child process; its stderr goes to bench/out/<name>.log. */
function runStep(step: Step): Promise<Done> {
  const args = [...step.args[mode], ...(step.json === false ? [] : ['--json'])];
  const command = `node ${step.script} ${step.args[mode].join(' ')}`.trim();
  const logPath = join(outDir, `${step.name}.log`);
  const log = createWriteStream(logPath);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, step.script), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (step.json === false) log.write(d);
    });
    child.stderr.pipe(log);
    child.on('close', (code, signal) => {
      log.end();
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) {
        const tail = readTail(logPath);
        resolve({ step, command, seconds, error: `exit ${code ?? signal}\n${tail}` });
        return;
      }
      if (step.json === false) {
        const markdown = stdout.trim();
        resolve({
          step,
          command,
          seconds,
          result: { bench: step.name, command, measures: [], markdown },
        });
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ step, command, seconds, result: JSON.parse(last) as BenchResult });
      } catch {
        resolve({
          step,
          command,
          seconds,
          error: `no JSON result on stdout: ${last.slice(0, 200)}`,
        });
      }
    });
  });
}

function readTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

const num = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
const cell = (v: number | undefined, unit: string): string =>
  v === undefined ? '—' : `${num(v)} ${unit}`;
function ratioCell(m: Measure): string {
  const r = ratioOf(m);
  if (r === undefined) return '—';
  return `${r.toFixed(2)}×${m.better ? ` (${m.better} is better)` : ''}`;
}

const chosen = steps.filter((s) => only.length === 0 || only.includes(s.name));
const unknown = only.filter((n) => !steps.some((s) => s.name === n));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${steps.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const startedAt = new Date();
const load = loadavg()[0] ?? 0;
console.log(
  `greenlight benchmarks (${mode}): ${chosen.length} steps, logs in bench/out/<name>.log`,
);
const done: Done[] = [];
for (const [i, step] of chosen.entries()) {
  const tag = `[${i + 1}/${chosen.length}] ${step.name}`;
  console.log(`${tag}: node ${step.script} ${step.args[mode].join(' ')}`);
  const d = await runStep(step);
  done.push(d);
  console.log(
    d.error
      ? `${tag}: FAILED after ${d.seconds.toFixed(0)} s\n${d.error}`
      : `${tag}: done in ${d.seconds.toFixed(0)} s`,
  );
}

const summary = table(
  ['bench', 'measure', 'value', 'baseline', 'value ÷ baseline'],
  done.flatMap((d) =>
    (d.result?.measures ?? []).map((m) => [
      d.step.name,
      m.name,
      cell(m.value, m.unit),
      m.baseline !== undefined
        ? `${cell(m.baseline, m.unit)} (${m.baselineName ?? 'baseline'})`
        : '—',
      ratioCell(m),
    ]),
  ),
);
console.log(`\n${summary}`);
const failed = done.filter((d) => d.error);
if (failed.length) console.log(`\nfailed: ${failed.map((d) => d.step.name).join(', ')}`);

const cpu = cpus();
const facts = [
  `- machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`,
  `- Node ${process.version}; load average ${load.toFixed(2)} at the start (other work on the machine skews the numbers)`,
  `- started ${startedAt.toISOString()}, took ${((Date.now() - startedAt.getTime()) / 60000).toFixed(1)} min`,
  `- command: \`npm run bench${mode === 'default' ? '' : ` -- --${mode}`}${only.length ? ` --only ${only.join(',')}` : ''}\``,
];
const sections = done.map((d) =>
  [
    `#### ${d.step.name}: \`${d.command}\``,
    '',
    d.error ? `Failed: ${d.error.split('\n')[0]}` : (d.result?.markdown ?? ''),
    '',
  ].join('\n'),
);
const entry = [
  '',
  `## ${startedAt.toISOString().slice(0, 10)}: \`npm run bench\` (${mode})`,
  '',
  ...facts,
  '',
  summary,
  '',
  ...sections,
].join('\n');
if (write) {
  appendFileSync(join(root, 'BENCHMARKS.md'), entry);
  console.log('\nappended to BENCHMARKS.md');
}
process.exitCode = failed.length ? 1 : 0;
