import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestExecutor } from '../../src/engine/executor.ts';
import { runCli, startCli } from '../helpers/cli.ts';
import { createTriggerToken } from './auth-helpers.ts';
import { passingExecutor, startHarness, type Harness } from './api-harness.ts';

// `pass …` passes, `fail …` fails with a message, `block …` runs until the run is aborted.
const aborted: string[] = [];
/** Runs whose blocking test is executing now (its executor listens for the abort). */
const blocking = new Set<string>();
let streamOpened: Promise<void> = Promise.resolve();
const executor: TestExecutor = async (job) => {
  const name = job.test.name;
  // `… paced …` tests wait for the CLI to follow the stream, so results arrive live.
  if (name.includes('paced')) await streamOpened;
  if (name.startsWith('block')) {
    blocking.add(job.run.id);
    await new Promise<void>((_, reject) => {
      const stop = (): void => {
        aborted.push(job.test.id);
        reject(new Error('aborted'));
      };
      // Cancelled before it got here (a loaded machine): an abort event will not come again.
      if (job.signal.aborted) return stop();
      job.signal.addEventListener('abort', stop, { once: true });
    });
  }
  const outcome = await passingExecutor(job);
  if (name.startsWith('fail')) {
    return { ...outcome, status: 'failed', failedStep: 0, error: 'expected <h1> "Welcome" & more' };
  }
  return outcome;
};

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A tiny well-formedness-checking XML reader: enough to read a JUnit file back. */
function parseXml(xml: string): XmlNode {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body))) {
    pos = re.lastIndex;
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bad entity in ${m[5]}`);
      top.text += m[5];
      continue;
    }
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (rawAttrs ?? '').matchAll(/([\w:.-]+)="([^"]*)"/g)) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(a[2]!)) throw new Error(`bad entity in ${a[2]}`);
      attrs[a[1]!] = a[2]!;
    }
    const node: XmlNode = { name: name!, attrs, children: [], text: '' };
    top.children.push(node);
    if (!selfClose) stack.push(node);
  }
  if (pos !== body.length || stack.length !== 1) throw new Error('not well-formed XML');
  return root;
}

let h: Harness;
let token: string;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ executor, config: { allowPrivateUrls: ['loopback'] } });
  dir = mkdtempSync(join(tmpdir(), 'gl-ci-cli-'));
  const p = await h.call('POST', '/api/v1/projects', {
    name: 'Pipeline',
    slug: 'pipeline',
    baseUrl: 'http://127.0.0.1:9',
  });
  expect(p.status).toBe(201);
  for (const [name, tag] of [
    ['pass home', 'green'],
    ['pass cart', 'green'],
    ['fail checkout', 'red'],
    ['pass login', 'red'],
    ['block forever', 'slow'],
    ['pass paced one', 'paced'],
    ['fail paced two', 'paced'],
    ['pass paced three', 'paced'],
  ]) {
    const t = await h.call('POST', '/api/v1/projects/pipeline/tests', {
      name,
      tags: [tag],
      suite: 'shop',
      status: 'approved',
      steps: [{ goto: '/' }],
    });
    expect(t.status).toBe(201);
  }
  token = await createTriggerToken(h.store, p.body.id as string);
  env = { GREENLIGHT_URL: h.url, GREENLIGHT_TOKEN: token };
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('greenlight ci run', () => {
  it('exits 0 for a passing run and writes a JUnit report', async () => {
    const junit = join(dir, 'green.xml');
    const r = await runCli(
      ['ci', 'run', '--project', 'pipeline', '--tag', 'green', '--junit', junit],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ pass home');
    expect(r.stdout).toMatch(/COMPLETED — 2 passed, 0 failed, 2 total/);
    expect(r.stdout).toContain('/trigger/runs/');
    // The run's dashboard page, for a person to open.
    expect(r.stdout).toMatch(
      new RegExp(`Run page: ${h.url}/projects/pipeline/runs/[0-9a-f-]{36}\\n`),
    );
    expect(r.stdout).not.toContain(token);
    const xml = parseXml(readFileSync(junit, 'utf8'));
    const suites = xml.children[0]!;
    expect(suites.name).toBe('testsuites');
    expect(suites.attrs).toMatchObject({ tests: '2', failures: '0' });
    const cases = suites.children[0]!.children;
    expect(cases.map((c) => c.name)).toEqual(['testcase', 'testcase']);
    expect(cases.every((c) => /^\d+\.\d{3}$/.test(c.attrs.time ?? ''))).toBe(true);
  });

  it('exits 1 when tests fail; the JUnit report carries the failure message', async () => {
    const junit = join(dir, 'red.xml');
    const r = await runCli(
      [
        'ci',
        'run',
        '--url',
        h.url,
        '--token',
        token,
        '--project',
        'pipeline',
        '--tag',
        'red',
        '--junit',
        junit,
      ],
      {},
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ fail checkout');
    expect(r.stdout).toMatch(/FAILED — 1 passed, 1 failed, 2 total/);
    const suite = parseXml(readFileSync(junit, 'utf8')).children[0]!.children[0]!;
    expect(suite.attrs).toMatchObject({ tests: '2', failures: '1' });
    const failed = suite.children.find((c) => c.attrs.name === 'fail checkout')!;
    expect(failed.children[0]?.name).toBe('failure');
    expect(failed.children[0]?.attrs.message).toBe(
      'expected &lt;h1&gt; &quot;Welcome&quot; &amp; more',
    );
  });

  it('prints the final run as JSON with --json, and only the ids with --no-wait', async () => {
    const r = await runCli(['ci', 'run', '--project', 'pipeline', '--tag', 'green', '--json'], env);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { status: string; passed: number; results: unknown[] };
    expect(body).toMatchObject({ status: 'completed', passed: 2 });
    expect(body.results).toHaveLength(2);
    const nw = await runCli(
      ['ci', 'run', '--project', 'pipeline', '--tag', 'green', '--no-wait', '--json'],
      env,
    );
    expect(nw.code).toBe(0);
    const ack = JSON.parse(nw.stdout) as { runId: string; statusUrl: string; pageUrl: string };
    expect(ack.statusUrl).toContain(ack.runId);
    expect(ack.pageUrl).toBe(`${h.url}/projects/pipeline/runs/${ack.runId}`);
    await h.engine.waitForRun(ack.runId, { timeoutMs: 10_000 });
    const st = await runCli(['ci', 'status', ack.runId], env);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ runId: ack.runId, status: 'completed' });
    const st2 = await runCli(['ci', 'status', ack.runId, '--project', 'pipeline'], env);
    expect(JSON.parse(st2.stdout)).toMatchObject({ runId: ack.runId, status: 'completed' });
  });

  it('exits 3 for a bad token and 4 for an unknown project', async () => {
    const bad = await runCli(['ci', 'run', '--project', 'pipeline', '--token', 'glt_nope'], env);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/401/);
    expect(bad.stderr).not.toContain('glt_nope');
    const missing = await runCli(['ci', 'run', '--project', 'no-such-project'], {
      ...env,
      GREENLIGHT_TOKEN: h.admin.apiKey,
    });
    expect(missing.code).toBe(4);
    const noUrl = await runCli(['ci', 'run', '--project', 'pipeline'], { GREENLIGHT_TOKEN: token });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('GREENLIGHT_URL');
  });

  it('on SIGINT cancels the run and exits 130; ci cancel aborts a run', async () => {
    const child = startCli(['ci', 'run', '--project', 'pipeline', '--tag', 'slow'], env);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let runId: string | undefined;
    for (let i = 0; i < 400 && !runId; i++) {
      runId = /run ([0-9a-f-]{36})/.exec(stdout)?.[1];
      if (!runId) await new Promise((r) => setTimeout(r, 25));
    }
    expect(runId).toBeDefined();
    for (let i = 0; i < 400; i++) {
      // Interrupt once the CLI follows the stream and the test executes, so the test covers
      // the waiting phase and the abort reaches a running test.
      if (blocking.has(runId!) && h.runStream.listenerCount(runId!) > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const run = await h.store.runs.get(null, runId!);
    expect(run?.status).toBe('cancelled');
    expect(run?.error).toContain('interrupted (SIGINT)');
    expect(aborted.length).toBeGreaterThanOrEqual(1);

    const ack = await runCli(
      ['ci', 'run', '--project', 'pipeline', '--tag', 'slow', '--no-wait', '--json'],
      env,
    );
    const { runId: second } = JSON.parse(ack.stdout) as { runId: string };
    const c = await runCli(['ci', 'cancel', second, '--reason', 'superseded'], env);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ runId: second, status: 'aborted' });
    const st = await runCli(['ci', 'status', second], env);
    expect(st.code).toBe(2);
  });
});

/**
 * A proxy in front of the server that breaks the event stream: `cut` drops the first stream just
 * before its first result reaches the client; `noSse` answers 404 for every stream.
 */
async function startProxy(target: string, mode: 'cut' | 'noSse', onStream = (): void => {}) {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  let streams = 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push({ path, headers: req.headers });
    const isEvents = path.includes('/events');
    if (isEvents && mode === 'noSse') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no route', code: 'not_found' }));
      return;
    }
    const cutThis = isEvents && mode === 'cut' && streams++ === 0;
    const up = request(target + path, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.on('data', (chunk: Buffer) => {
        if (cutThis && chunk.toString().includes('event: result')) {
          res.destroy();
          r.destroy();
          return;
        }
        res.write(chunk);
        if (cutThis) onStream(); // the client holds the snapshot (and its id) now
      });
      r.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('greenlight ci run over a bad network', () => {
  it('resumes a dropped stream with Last-Event-ID: every result once', async () => {
    let opened!: () => void;
    streamOpened = new Promise<void>((r) => (opened = r));
    const proxy = await startProxy(h.url, 'cut', () => opened());
    try {
      const r = await runCli(['ci', 'run', '--project', 'pipeline', '--tag', 'paced'], {
        ...env,
        GREENLIGHT_URL: proxy.url,
      });
      expect(r.code).toBe(1);
      const streams = proxy.seen.filter((s) => s.path.includes('/events'));
      expect(streams.length).toBeGreaterThanOrEqual(2);
      expect(streams[1]?.headers['last-event-id']).toMatch(/^\d+$/);
      expect(r.stdout.match(/✗ fail paced two/g)).toHaveLength(2); // progress line + summary
      expect(r.stdout.match(/✓ pass paced one/g)).toHaveLength(1);
      expect(r.stdout.match(/✓ pass paced three/g)).toHaveLength(1);
      expect(r.stdout).toMatch(/FAILED — 2 passed, 1 failed, 3 total/);
    } finally {
      await proxy.close();
    }
  });

  it('falls back to polling the status URL when the server has no event stream', async () => {
    const proxy = await startProxy(h.url, 'noSse');
    try {
      const r = await runCli(['ci', 'run', '--project', 'pipeline', '--tag', 'green', '--json'], {
        ...env,
        GREENLIGHT_URL: proxy.url,
      });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', passed: 2 });
      expect(proxy.seen.some((s) => s.path.includes('/trigger/runs/'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
