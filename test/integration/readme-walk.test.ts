import { execFile, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

// Issue 18 "done means": the README's quick-start and CI commands, walked as printed. Every
// ```sh block after a `<!-- walk` comment runs, line by line in one bash session (so `export`s
// carry over), in a fresh folder beside a real `greenlight serve` started there; a line's
// `# → exit N` or `# → prints TEXT` is its documented outcome (no arrow: exit 0). Only the
// server's address is changed: the README's http://127.0.0.1:3001 and greenlight.example.com.

/** One walked command: its text as printed (continuation lines included) and its outcome. */
interface WalkedCommand {
  text: string;
  exit: number;
  prints: string | null;
}

/** The walked commands of the README, in order. */
function walkedCommands(readme: string): WalkedCommand[] {
  const out: WalkedCommand[] = [];
  const blocks = readme.split('<!-- walk').slice(1);
  for (const block of blocks) {
    const body = /```sh\n([\s\S]*?)\n```/.exec(block)?.[1];
    if (body === undefined) throw new Error('a <!-- walk --> marker with no ```sh block after it');
    let pending = '';
    for (const line of body.split('\n')) {
      if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
      pending += (pending ? '\n' : '') + line;
      if (line.endsWith('\\')) continue;
      const arrow = /#\s*→\s*(.*)$/.exec(pending)?.[1]?.trim() ?? '';
      const exit = /^exit (\d+)/.exec(arrow);
      const prints = /^prints (.+)$/.exec(arrow);
      out.push({
        text: pending,
        exit: exit ? Number(exit[1]) : 0,
        prints: prints ? (prints[1] ?? null) : null,
      });
      pending = '';
    }
  }
  return out;
}

let work: string;
let server: ChildProcess;
let serverUrl: string;
let env: Record<string, string>;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gl-readme-walk-'));
  // `greenlight` on PATH, as the bootstrap's PATH line makes it (with this Node).
  const bin = join(work, 'bin');
  mkdirSync(bin);
  symlinkSync(join(repoRoot, 'bin', 'greenlight.js'), join(bin, 'greenlight'));
  const [port, demoPort] = [await freePort(), await freePort()];
  serverUrl = `http://127.0.0.1:${port}`;
  env = {
    PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    HOME: work,
    GREENLIGHT_DEMO_PORT: String(demoPort),
    GREENLIGHT_LOG_LEVEL: 'warn',
    GREENLIGHT_RATE_LIMIT: 'off',
    GREENLIGHT_ALLOW_PRIVATE_URLS: 'loopback',
  };
  const cwd = join(work, 'project');
  mkdirSync(cwd);
  // A fresh data folder: the server's default, ./.greenlight in the folder it starts in.
  server = startCli(['serve', '--port', String(port)], env, { cwd });
  let log = '';
  server.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  server.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  for (;;) {
    if (server.exitCode !== null) throw new Error(`greenlight serve exited:\n${log}`);
    const up = await fetch(`${serverUrl}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('README walk', () => {
  it('runs the quick-start and CI commands as printed, each with its documented outcome', async () => {
    const commands = walkedCommands(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    expect(commands.length).toBeGreaterThanOrEqual(10);
    const results = join(work, 'results');
    mkdirSync(results);
    const script = [
      'set +e',
      ...commands.map((c, i) => {
        const text = c.text
          .replaceAll('http://127.0.0.1:3001', serverUrl)
          .replaceAll('https://greenlight.example.com', serverUrl);
        return `{\n${text}\n} >"${results}/${i}.out" 2>"${results}/${i}.err" </dev/null\necho $? >"${results}/${i}.code"`;
      }),
    ].join('\n');
    writeFileSync(join(work, 'walk.sh'), script);
    await new Promise<void>((resolve) => {
      execFile(
        'bash',
        [join(work, 'walk.sh')],
        { cwd: join(work, 'project'), env, timeout: 170_000 },
        () => resolve(),
      );
    });
    const outcomes = commands.map((c, i) => {
      const read = (ext: string): string =>
        existsSync(join(results, `${i}.${ext}`))
          ? readFileSync(join(results, `${i}.${ext}`), 'utf8')
          : '';
      return {
        command: c.text,
        code: Number(read('code').trim() || NaN),
        stdout: read('out'),
        stderr: read('err'),
      };
    });
    for (const [i, c] of commands.entries()) {
      const o = outcomes[i]!;
      const why = `${c.text}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;
      expect(o.code, why).toBe(c.exit);
      if (c.prints) expect(o.stdout, why).toContain(c.prints);
    }
    // What the walk left behind is what the README says it makes.
    expect(existsSync(join(work, 'project', 'out', 'demo.xml'))).toBe(true);
    expect(existsSync(join(work, 'project', 'exported', 'demo', 'package.json'))).toBe(true);
  }, 180_000);
});
