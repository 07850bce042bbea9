import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');
const bin = join(repoRoot, 'bin', 'greenlight.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real CLI in a child process with its own data dir; never inherits a user's settings. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
  opts: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env, opts);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`greenlight ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Start the CLI without waiting for it (for servers and kill tests). */
export function startCli(
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string } = {},
): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      GREENLIGHT_LOG_LEVEL: 'warn',
      GREENLIGHT_RATE_LIMIT: 'off',
      // The tests' sites listen on 127.0.0.1, which the URL guard refuses by default.
      GREENLIGHT_ALLOW_PRIVATE_URLS: 'loopback',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
