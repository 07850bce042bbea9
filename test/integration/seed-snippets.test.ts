import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.ts';
import { repoRoot, startCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

// Issue 10's "done": the CI snippets of seeds 000 (Sentri), 002 (AegisRunner) and 003 (Certyn),
// as those documents print them (test/fixtures/seeds/), run with bash, curl and jq against a
// real `greenlight serve` and the bundled demo site. Only hosts and tokens change; GitHub's
// `${{ }}` expressions and GitLab's variables are filled in as those CI systems would. Each
// snippet must gate on the real result: a project holding the demo's sign-in test (which needs
// the `default` environment's DEMO_EMAIL / DEMO_PASSWORD) and the demo's one failing test fails
// it; the same project once the failing test is rejected passes it.

const fixtures = join(repoRoot, 'test', 'fixtures', 'seeds');
const snippet = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

const GITHUB_TOKEN = 'ghs_SeedSnippetsToken0123456789abcdefXY';
const PR = 42;
const SHAS = ['a'.repeat(40), 'b'.repeat(40)];
const DEMO_VARS = {
  variables: { DEMO_EMAIL: 'demo@example.com' },
  secrets: { DEMO_PASSWORD: 'greenlight123' },
};

let dir: string;
let server: ChildProcess | undefined;
let base: string;
let demoUrl: string;
let github: FakeGitHub;
let adminKey: string;
/** A folder whose `sleep` replaces the system one for seed 000's jobs (see sleepShim). */
let shimDir: string;

interface Project {
  slug: string;
  token: string;
  failingTestId: string;
}
const projects: Record<string, Project> = {};

// The API's JSON answers, read loosely: the expectations below check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function api(method: string, path: string, body?: unknown, headers = {}): Promise<Json> {
  const res = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** GitHub Actions' `${{ expr }}`, from what the workflow's context holds; unknown ones throw. */
function githubExpressions(script: string, context: Record<string, string>): string {
  return script.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    const v = context[expr];
    if (v === undefined) throw new Error(`no value for \${{ ${expr} }}`);
    return v;
  });
}

/** Host (and project path) swaps: the one change a user makes to a copied snippet. */
function hosts(script: string, swaps: [string, string][]): string {
  let out = script;
  for (const [from, to] of swaps) {
    if (!out.includes(from)) throw new Error(`snippet has no ${from}`);
    out = out.replaceAll(from, to);
  }
  return out;
}

interface Job {
  code: number | null;
  output: string;
}

/** Run a script as a CI runner does: written to a file, `bash <flags> file`, with its env. */
function bash(script: string, flags: string[], env: Record<string, string>, args: string[] = []) {
  const file = join(dir, `job-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  return new Promise<Job>((resolve) => {
    const child = spawn('bash', [...flags, file, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** GitHub Actions runs a `run:` step as `bash -e {0}`; GitLab's bash runner with `set -eo pipefail`. */
const GITHUB_SHELL = ['-e'];
const GITLAB_SHELL = ['-eo', 'pipefail'];

/**
 * Seed 000 polls with a fixed `sleep 10` (60 times). Waiting 10 s per poll only makes the test
 * slow: the run goes on without the poller. So seed 000's jobs get a PATH whose `sleep` waits 1 s
 * whatever it is asked; the snippet text stays as the seed prints it. Seed 003's script sleeps
 * `retryAfterSeconds`, which the server sets (GREENLIGHT_RETRY_AFTER_SECONDS=1), so it needs none.
 */
function sleepShim(): string {
  const shim = mkdtempSync(join(dir, 'shim-'));
  const real = ['/usr/bin/sleep', '/bin/sleep'].find((p) => {
    try {
      readFileSync(p);
      return true;
    } catch {
      return false;
    }
  });
  writeFileSync(join(shim, 'sleep'), `#!/bin/sh\nexec ${real ?? 'sleep'} 1\n`);
  chmodSync(join(shim, 'sleep'), 0o755);
  return shim;
}
const shimmedPath = (): string => `${shimDir}:${process.env.PATH ?? ''}`;

/** Seed 000's GitHub Actions job: two steps, the first's outputs read by the second. */
async function seed000GitHub(p: Project): Promise<Job & { runId: string }> {
  const outputFile = join(dir, `github-output-${p.slug}-${Date.now()}`);
  writeFileSync(outputFile, '');
  const secrets = { 'secrets.SENTRI_TOKEN': p.token };
  const swaps: [string, string][] = [
    [
      `https://your-sentri-instance.com/api/v1/projects/PRJ-1/`,
      `${base}/api/v1/projects/${p.slug}/`,
    ],
  ];
  const env = { GITHUB_OUTPUT: outputFile, PATH: shimmedPath() };
  const trigger = await bash(
    githubExpressions(hosts(snippet('000-github-trigger.sh'), swaps), secrets),
    GITHUB_SHELL,
    env,
  );
  expect(trigger.code, trigger.output).toBe(0);
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [`steps.trigger.outputs.${l.split('=')[0]}`, l.slice(l.indexOf('=') + 1)]),
  );
  const wait = await bash(
    githubExpressions(snippet('000-github-wait.sh'), { ...secrets, ...outputs }),
    GITHUB_SHELL,
    env,
  );
  return { ...wait, runId: outputs['steps.trigger.outputs.run_id']! };
}

async function seed000GitLab(p: Project): Promise<Job> {
  const script = hosts(snippet('000-gitlab.sh'), [
    [
      `https://your-sentri-instance.com/api/v1/projects/PRJ-1/`,
      `${base}/api/v1/projects/${p.slug}/`,
    ],
  ]);
  return bash(script, GITLAB_SHELL, { SENTRI_TOKEN: p.token, PATH: shimmedPath() });
}

async function seed002GitHub(p: Project, sha: string): Promise<Job> {
  const script = githubExpressions(
    hosts(snippet('002-github.sh'), [
      ['https://aegisrunner.com', base],
      // The preview deployment's host: here the bundled demo site plays the preview.
      ['https://pr-${{ github.event.pull_request.number }}.preview.example.com', demoUrl],
    ]),
    {
      'secrets.AEGIS_CI_TOKEN': p.token,
      'github.event.pull_request.number': String(PR),
      'github.repository': 'acme/shop',
      'github.event.pull_request.head.sha': sha,
      'secrets.GITHUB_TOKEN': GITHUB_TOKEN,
    },
  );
  return bash(script, GITHUB_SHELL, {});
}

async function seed002GitLab(p: Project): Promise<Job> {
  const script = hosts(snippet('002-gitlab.sh'), [['https://aegisrunner.com', base]]);
  return bash(script, GITLAB_SHELL, { AEGIS_CI_TOKEN: p.token, CI_ENVIRONMENT_URL: demoUrl });
}

/** Seed 003: the create request, then the polling script with the run id it answered. */
async function seed003(p: Project, jobId: string): Promise<Job & { runId: string }> {
  const create = await bash(
    hosts(snippet('003-create.sh'), [['https://api.certyn.io', base]]),
    GITLAB_SHELL,
    { CERTYN_API_KEY: p.token, CI_JOB_ID: jobId },
  );
  expect(create.code, create.output).toBe(0);
  const runId = JSON.parse(create.output).runId as string;
  const poll = await bash(
    snippet('003-poll.sh'),
    [],
    { CERTYN_API_URL: base, CERTYN_API_KEY: p.token },
    [runId],
  );
  return { ...poll, runId };
}

/** The newest run of a project, as the API shows it. */
async function latestRun(slug: string): Promise<Json> {
  const list = await api('GET', `/api/v1/projects/${slug}/runs?limit=1`);
  return list.items[0];
}

async function startServe(): Promise<void> {
  const port = await freePort();
  const demoPort = await freePort();
  server = startCli(['serve', '--port', String(port)], {
    GREENLIGHT_DATA_DIR: join(dir, 'data'),
    GREENLIGHT_DEMO_PORT: String(demoPort),
    GREENLIGHT_GITHUB_API_URL: github.url,
    // The demo site and the preview both live on 127.0.0.1 here.
    GREENLIGHT_ALLOW_PRIVATE_URLS: 'loopback',
    GREENLIGHT_RETRY_AFTER_SECONDS: '1',
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    server!.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    server!.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const demo = /Demo site on (\S+)/.exec(out);
      if (/Greenlight listening on/.test(out) && demo) {
        clearTimeout(timer);
        demoUrl = demo[1]!;
        resolve();
      }
    });
    server!.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  base = `http://127.0.0.1:${port}`;
}

/** The first user (admin), signed in, mints an admin API key for the set-up calls. */
async function adminApiKey(): Promise<string> {
  const reg = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.com', password: 'a long passphrase 42' }),
  });
  expect(reg.status).toBe(201);
  const { csrfToken } = (await reg.json()) as { csrfToken: string };
  const cookie = reg.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const key = await fetch(`${base}/api/v1/auth/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name: 'seed snippets', scopes: ['admin'] }),
  });
  expect(key.status).toBe(201);
  return ((await key.json()) as { key: string }).key;
}

/** A project on the demo site with the demo's sign-in test and its one failing test. */
async function demoCopy(slug: string, opts: { suite?: string; statusContext?: string } = {}) {
  const demoTests = (await api('GET', '/api/v1/projects/demo/tests?status=approved&limit=200'))
    .items as { id: string; key: string; name: string; steps: unknown[] }[];
  const signIn = demoTests.find((t) => t.key === 'auth-sign-in');
  const failing = demoTests.filter((t) => /known failing/.test(t.name));
  expect(signIn).toBeDefined();
  expect(failing).toHaveLength(1);
  await api('POST', '/api/v1/projects', { name: slug, slug, baseUrl: demoUrl });
  if (opts.statusContext) {
    await api('PATCH', `/api/v1/projects/${slug}`, { statusContext: opts.statusContext });
  }
  // The demo's own environment: the sign-in test reads DEMO_EMAIL and DEMO_PASSWORD from it.
  await api('PUT', `/api/v1/projects/${slug}/environments/default`, DEMO_VARS);
  if (slug === 'my-app')
    await api('PUT', `/api/v1/projects/${slug}/environments/staging`, DEMO_VARS);
  const ids: string[] = [];
  for (const t of [signIn!, failing[0]!]) {
    const created = await api('POST', `/api/v1/projects/${slug}/tests`, {
      name: t.name,
      steps: t.steps,
      status: 'approved',
      ...(opts.suite ? { suite: opts.suite } : {}),
    });
    ids.push(created.id);
  }
  const { token } = await api('POST', `/api/v1/projects/${slug}/trigger-tokens`, { name: 'ci' });
  projects[slug] = { slug, token, failingTestId: ids[1]! };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-seeds-'));
  shimDir = sleepShim();
  github = await startFakeGitHub({ tokens: [GITHUB_TOKEN] });
  await startServe();
  adminKey = await adminApiKey();
  await demoCopy('s000-github');
  await demoCopy('s000-gitlab');
  // Branch protection that required AegisRunner's status name keeps working.
  await demoCopy('s002-github', { statusContext: 'aegisrunner' });
  await demoCopy('s002-gitlab');
  await demoCopy('my-app', { suite: 'smoke-suite' });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await github?.close();
  rmSync(dir, { recursive: true, force: true });
});

const lastLine = (out: string, prefix: string): string | undefined =>
  out
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .at(-1);

describe('the seeds’ CI snippets, verbatim, against greenlight serve and the demo', () => {
  it('fail on the demo’s failing test, then pass once only passing tests are left', async () => {
    const p = projects;
    // 1. The demo's failing test is approved: every snippet must fail its job.
    const [gh000, gl000, gh002, gl002, c003] = await Promise.all([
      seed000GitHub(p['s000-github']!),
      seed000GitLab(p['s000-gitlab']!),
      seed002GitHub(p['s002-github']!, SHAS[0]!),
      seed002GitLab(p['s002-gitlab']!),
      seed003(p['my-app']!, 'job-1'),
    ]);
    expect(gh000.code, gh000.output).toBe(1);
    expect(lastLine(gh000.output, 'Run status:')).toBe('Run status: failed');
    expect(gl000.code, gl000.output).toBe(1);
    expect(lastLine(gl000.output, 'Run status:')).toBe('Run status: failed');
    expect(gh002.code, gh002.output).toBe(22); // curl -f: the 422 of a failed run
    expect(gl002.code, gl002.output).toBe(22);
    expect(c003.code, c003.output).toBe(1);
    expect(lastLine(c003.output, 'poll=')).toMatch(/state=completed failed=1 blocked=0$/);

    // Each failed for the real reason: the price test failed, the sign-in (default
    // environment) passed, and the Aegis runs crawled the preview first.
    for (const slug of Object.keys(p)) {
      const run = await latestRun(slug);
      expect([slug, run.status, run.passed, run.failed, run.errored]).toEqual(
        slug.startsWith('s002')
          ? [slug, 'failed', 3, 1, 0] // + the crawl's two checks, passed
          : [slug, 'failed', 1, 1, 0],
      );
    }
    const crawled = await api(
      'GET',
      `/api/v1/projects/s002-github/runs/${(await latestRun('s002-github')).id}`,
    );
    expect(crawled).toMatchObject({ phase: 'finished', crawl: { status: 'done', brokenLinks: 0 } });
    expect(crawled.crawl.pages).toBeGreaterThan(3);
    // The final status is posted when the run ends, just after `wait` answered: wait for it.
    await vi.waitFor(
      () =>
        expect(
          github.statuses.filter((s) => s.sha === SHAS[0]).map((s) => [s.state, s.context]),
        ).toEqual([
          ['pending', 'aegisrunner'],
          ['failure', 'aegisrunner'],
        ]),
      { timeout: 30_000, interval: 100 },
    );

    // 2. Reject the failing test: only passing tests are left, and every snippet passes.
    for (const proj of Object.values(p)) {
      await api('POST', `/api/v1/projects/${proj.slug}/tests/${proj.failingTestId}/reject`, {});
    }
    const [gh000b, gl000b, gh002b, gl002b, c003b] = await Promise.all([
      seed000GitHub(p['s000-github']!),
      seed000GitLab(p['s000-gitlab']!),
      seed002GitHub(p['s002-github']!, SHAS[1]!),
      seed002GitLab(p['s002-gitlab']!),
      seed003(p['my-app']!, 'job-2'),
    ]);
    expect(gh000b.code, gh000b.output).toBe(0);
    expect(lastLine(gh000b.output, 'Run status:')).toBe('Run status: completed');
    expect(gl000b.code, gl000b.output).toBe(0);
    expect(gh002b.code, gh002b.output).toBe(0);
    expect(JSON.parse(gh002b.output)).toMatchObject({
      status: 'passed',
      failed: 0,
      phase: 'finished',
    });
    expect(gl002b.code, gl002b.output).toBe(0);
    expect(c003b.code, c003b.output).toBe(0);
    expect(lastLine(c003b.output, 'poll=')).toMatch(/state=completed failed=0 blocked=0$/);
    const secondRun = await latestRun('s002-github');
    const second = secondRun.id as string;
    await vi.waitFor(
      () => {
        expect(
          github.statuses.filter((s) => s.sha === SHAS[1]).map((s) => [s.state, s.context]),
        ).toEqual([
          ['pending', 'aegisrunner'],
          ['success', 'aegisrunner'],
        ]);
        // One sticky comment on the PR, edited by the second run, linking the run's page.
        const comments = github.comments.get(`acme/shop#${PR}`) ?? [];
        expect(comments).toHaveLength(1);
        expect(comments[0]!.body).toContain(
          `${base}/projects/${secondRun.projectId as string}/runs/${second}`,
        );
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(github.violations).toEqual([]);

    // Certyn's GET gives back what its create sent, and its appUrl opens the run's page.
    const certyn = await fetch(`${base}/api/ci/runs/${c003b.runId}`, {
      headers: { 'x-api-key': p['my-app']!.token },
    }).then((r) => r.json() as Promise<Json>);
    expect(certyn).toMatchObject({ commitSha: 'a1b2c3d4', state: 'completed', status: 'passed' });
    // A person's browser asks for HTML: the dashboard's run page.
    const page = await fetch(certyn.appUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  }, 300_000);
});
