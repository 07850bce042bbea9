// A real `greenlight serve` for benchmarks that measure the server process: start it on a free
// port with the bundled demo, read its memory from /proc, sign up a user and a trigger token.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

/** Which entry point runs the server: the TypeScript sources (type stripping) or `dist/`. */
export type Entry = 'ts' | 'built';

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  base: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Run a CLI command against the same data folder; its stdout, trimmed. */
  cli(...args: string[]): string;
  /** A trigger token of the demo project (creates the first user on first call). */
  token(): string;
  stop(): Promise<void>;
}

const entryFile = (entry: Entry): string =>
  entry === 'built' ? join(root, 'dist', 'cli', 'main.js') : join(root, 'bin', 'greenlight.js');

/** Start `greenlight serve` (the demo on) and wait until it answers its health check. */
export async function startServerProcess(
  opts: { entry?: Entry; nodeFlags?: string[]; demo?: boolean } = {},
): Promise<ServerProcess> {
  const entry = entryFile(opts.entry ?? 'ts');
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-server-'));
  const port = await freePort();
  const env = {
    ...process.env,
    GREENLIGHT_DATA_DIR: dir,
    GREENLIGHT_LOG_LEVEL: 'warn',
    // A soak triggers a run every few seconds for up to an hour: far past a token's hourly budget.
    GREENLIGHT_RATE_LIMIT: 'off',
    GREENLIGHT_DEMO_PORT: String(await freePort()),
  };
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      ...(opts.nodeFlags ?? []),
      entry,
      'serve',
      '--port',
      String(port),
      ...(opts.demo === false ? ['--no-demo'] : []),
    ],
    { env, cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      if (i > 300 || child.exitCode !== null) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const cli = (...args: string[]): string =>
    execFileSync(process.execPath, [entry, ...args], { env, cwd: root })
      .toString()
      .trim();
  let token: string | undefined;
  return {
    child,
    pid: child.pid!,
    base,
    dir,
    env,
    cli,
    token() {
      if (token) return token;
      cli(
        'user',
        'create',
        '--admin',
        '--email',
        'bench@example.com',
        '--password',
        'bench-pass-123',
      );
      token = cli('token', 'create', '--project', 'demo', '--name', 'bench')
        .split(/\s+/)
        .find((t) => t.startsWith('glt_'));
      if (!token) throw new Error('no trigger token printed');
      return token;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'close');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Trigger a run of these tests and wait for its end; returns its final status. */
export async function runToEnd(
  server: ServerProcess,
  body: Record<string, unknown>,
  onPoll: () => void = () => {},
): Promise<string> {
  const auth = { authorization: `Bearer ${server.token()}`, 'content-type': 'application/json' };
  const res = await fetch(`${server.base}/api/v1/projects/demo/trigger`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`trigger: ${res.status} ${await res.text()}`);
  const { statusUrl } = (await res.json()) as { statusUrl: string };
  for (;;) {
    onPoll();
    const st = (await (await fetch(statusUrl, { headers: auth })).json()) as { status: string };
    if (st.status !== 'running') return st.status;
    await new Promise((r) => setTimeout(r, 200));
  }
}
