// Load benchmark of the CI API on 127.0.0.1: status polls and trigger rejections (409 while a run is
// in progress) against a real `greenlight serve` process, each compared with GET /health measured
// in the same script (the baseline). Bounded: a fixed number of requests per scenario.
//   node bench/trigger-load.ts [--requests 3000] [--concurrency 16]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const requests = arg('requests', 3000);
const concurrency = arg('concurrency', 16);
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'gl-load-'));
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

cli(
  'user',
  'create',
  '--admin',
  '--email',
  'bench@example.com',
  '--password',
  'bench-password-123',
);
cli('project', 'create', 'Load', '--base-url', base);
writeFileSync(
  join(dir, 'hold.yaml'),
  'name: Holds the run open\nstatus: approved\ntimeout: 600000\nsteps:\n  - wait: 300000\n',
);
cli('import', 'load', join(dir, 'hold.yaml'));
const token = cli('token', 'create', '--project', 'load', '--name', 'bench')
  .split(/\s+/)
  .find((t) => t.startsWith('glt_'));
if (!token) throw new Error('no trigger token printed');

const server = spawn(
  process.execPath,
  [join(root, 'bin', 'greenlight.js'), 'serve', '--no-demo', '--port', String(port)],
  {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      if (i > 200) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const first = await fetch(`${base}/api/v1/projects/load/trigger`, {
    method: 'POST',
    headers: auth,
    body: '{}',
  });
  const { statusUrl } = (await first.json()) as { runId: string; statusUrl: string };

  async function load(
    name: string,
    expect: number,
    make: () => Promise<Response>,
  ): Promise<{ name: string; rps: number; p50: number; p99: number }> {
    const lat: number[] = [];
    let next = 0;
    let wrong = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next++;
          const s = performance.now();
          const res = await make();
          await res.arrayBuffer();
          if (res.status !== expect) wrong++;
          lat.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    if (wrong) throw new Error(`${name}: ${wrong} responses were not ${expect}`);
    lat.sort((a, b) => a - b);
    return {
      name,
      rps: requests / secs,
      p50: lat[Math.floor(lat.length / 2)] ?? 0,
      p99: lat[Math.floor(lat.length * 0.99)] ?? 0,
    };
  }

  await load('warm-up', 200, () => fetch(`${base}/api/v1/health`));
  const rows = [
    await load('GET /api/v1/health (baseline)', 200, () => fetch(`${base}/api/v1/health`)),
    await load('GET statusUrl (poll, trigger token)', 200, () =>
      fetch(statusUrl, { headers: auth }),
    ),
    await load('POST trigger → 409 in progress', 409, () =>
      fetch(`${base}/api/v1/projects/load/trigger`, { method: 'POST', headers: auth, body: '{}' }),
    ),
    await load('POST trigger, bad token → 401', 401, () =>
      fetch(`${base}/api/v1/projects/load/trigger`, {
        method: 'POST',
        headers: { ...auth, authorization: 'Bearer glt_wrong' },
        body: '{}',
      }),
    ),
  ];
  const baseline = rows[0]!.rps;
  console.log(
    `${requests} requests per scenario, ${concurrency} concurrent, one server process on 127.0.0.1`,
  );
  console.log('| scenario | req/s | p50 ms | p99 ms | ÷ baseline |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / baseline).toFixed(2)} |`,
    );
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('close', r));
  rmSync(dir, { recursive: true, force: true });
}
