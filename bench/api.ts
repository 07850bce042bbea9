// Benchmark: the CI API on 127.0.0.1 under a bounded load (autocannon, a fixed number of
// connections for a fixed time). A real `greenlight serve` process (SQLite) answers status polls
// and accepted triggers (202, queued behind a running run of the same concurrency key, so no
// browser starts); the ceiling is a bare Fastify process (bench/lib/bare-server.ts) answering the
// same JSON with the same status on the same paths, measured in the same script.
//   node bench/api.ts [--seconds 10] [--connections 16] [--json]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { argOf, captureStdout, emitResult, table, type Measure } from './lib/result.ts';

captureStdout();
const seconds = Number(argOf('seconds', '10'));
const connections = Number(argOf('connections', '16'));
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'gl-api-bench-'));
const env = {
  ...process.env,
  GREENLIGHT_DATA_DIR: dir,
  GREENLIGHT_LOG_LEVEL: 'warn',
  GREENLIGHT_RATE_LIMIT: 'off',
};
const cli = (...args: string[]): string =>
  execFileSync(process.execPath, [join(root, 'bin', 'greenlight.js'), ...args], { env, cwd: root })
    .toString()
    .trim();

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;

cli('user', 'create', '--admin', '--email', 'bench@example.com', '--password', 'bench-pass-123');
cli('project', 'create', 'Load', '--base-url', base);
// One test that holds its run open: every later trigger of the same key queues behind it.
writeFileSync(
  join(dir, 'hold.yaml'),
  'name: Holds the run open\nstatus: approved\ntimeout: 600000\nsteps:\n  - wait: 300000\n',
);
cli('import', 'load', join(dir, 'hold.yaml'));
const token = cli('token', 'create', '--project', 'load', '--name', 'bench')
  .split(/\s+/)
  .find((t) => t.startsWith('glt_'));
if (!token) throw new Error('no trigger token printed');

const children: ChildProcess[] = [];
/** Start a node child process; its stdout is piped only when the caller reads it. */
function startChild(
  args: string[],
  opts: { env: NodeJS.ProcessEnv; readStdout: boolean },
): ChildProcess {
  const child = spawn(process.execPath, args, {
    env: opts.env,
    cwd: root,
    stdio: ['ignore', opts.readStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      if (i > 300) throw new Error(`${url} did not answer`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  status: number;
  body?: string;
}

/** Load one URL; throws when any answer has another status than expected. */
async function load(url: string, s: Scenario, headers: Record<string, string>) {
  const r = await autocannon({
    url,
    method: s.method,
    headers,
    ...(s.body !== undefined ? { body: s.body } : {}),
    connections,
    duration: seconds,
  });
  const stats = r.statusCodeStats ?? {};
  const wrong = Object.entries(stats)
    .filter(([code]) => Number(code) !== s.status)
    .map(([code, v]) => `${v.count ?? 0}×${code}`);
  if (wrong.length || r.errors || r.timeouts) {
    throw new Error(
      `${s.name}: expected only ${s.status}, got ${wrong.join(', ') || 'none wrong'}, ${r.errors} errors, ${r.timeouts} timeouts`,
    );
  }
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
  };
}

const rows: (string | number)[][] = [];
const measures: Measure[] = [];
try {
  startChild([join(root, 'bin', 'greenlight.js'), 'serve', '--no-demo', '--port', String(port)], {
    env,
    readStdout: false,
  });
  await waitHealthy(`${base}/api/v1/health`);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const triggerPath = '/api/v1/projects/load/trigger';
  const triggerBody = JSON.stringify({ concurrency: { key: 'bench', policy: 'queue' } });
  const first = await fetch(`${base}${triggerPath}`, {
    method: 'POST',
    headers: auth,
    body: triggerBody,
  });
  if (first.status !== 202) throw new Error(`first trigger: ${first.status} ${await first.text()}`);
  const ack = (await first.json()) as { runId: string; statusUrl: string };
  const statusPath = new URL(ack.statusUrl).pathname;
  const status = await (await fetch(ack.statusUrl, { headers: auth })).json();

  const scenarios: Scenario[] = [
    { name: 'GET status (poll)', method: 'GET', path: statusPath, status: 200 },
    {
      name: 'POST trigger → 202 queued',
      method: 'POST',
      path: triggerPath,
      status: 202,
      body: triggerBody,
    },
  ];
  // The ceiling answers each path with what Greenlight answered.
  const routesFile = join(dir, 'bare-routes.json');
  writeFileSync(
    routesFile,
    JSON.stringify([
      { method: 'GET', url: statusPath, status: 200, body: status },
      { method: 'POST', url: triggerPath, status: 202, body: ack },
    ]),
  );
  const bare = startChild([join(root, 'bench', 'lib', 'bare-server.ts'), routesFile], {
    env: process.env,
    readStdout: true,
  });
  const firstLine = await once(createInterface({ input: bare.stdout! }), 'line');
  const barePort = (JSON.parse(String(firstLine[0])) as { port: number }).port;
  const bareBase = `http://127.0.0.1:${barePort}`;

  // Warm-up of both, then each scenario on the ceiling and on Greenlight.
  await load(
    `${base}/api/v1/health`,
    { name: 'warm-up', method: 'GET', path: '', status: 200 },
    {},
  );
  for (const s of scenarios) {
    const ceiling = await load(`${bareBase}${s.path}`, s, auth);
    const ours = await load(`${base}${s.path}`, s, auth);
    rows.push([
      s.name,
      ours.rps.toFixed(0),
      ours.p50.toFixed(1),
      ours.p99.toFixed(1),
      ceiling.rps.toFixed(0),
      ceiling.p99.toFixed(1),
      (ours.rps / ceiling.rps).toFixed(2),
    ]);
    measures.push(
      {
        name: `${s.name} req/s`,
        value: ours.rps,
        unit: 'req/s',
        baseline: ceiling.rps,
        baselineName: 'bare Fastify',
        better: 'higher',
      },
      {
        name: `${s.name} p99`,
        value: ours.p99,
        unit: 'ms',
        baseline: ceiling.p99,
        baselineName: 'bare Fastify',
        better: 'lower',
      },
    );
  }
} finally {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await once(c, 'close');
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
const markdown = [
  `${connections} connections for ${seconds} s per scenario (autocannon), one server process on 127.0.0.1, SQLite.`,
  '',
  table(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'ceiling req/s', 'ceiling p99 ms', '÷ ceiling'],
    rows,
  ),
].join('\n');
console.log(markdown);
emitResult({
  bench: 'api',
  command: `node bench/api.ts --seconds ${seconds} --connections ${connections}`,
  measures,
  markdown,
});
