import { Worker } from 'node:worker_threads';
import type { ScanFinding } from '../domain/scan.ts';
import type { FileTask, SkippedFile } from './files.ts';
import type { RuleDef } from './rule-schema.ts';
import type { WorkerReply, WorkerTask } from './scan-worker.ts';

const WORKER_URL = new URL('./scan-worker.ts', import.meta.url);

export interface PoolOptions {
  rules: RuleDef[];
  threads: number;
  /** A file that takes longer is abandoned (its thread terminated): the scan is an error. */
  fileTimeoutMs: number;
  signal?: AbortSignal;
  /** After each file: how many are done. */
  onFile?: (done: number, total: number, path: string, findings: number) => void;
}

export interface PoolResult {
  findings: ScanFinding[];
  skipped: SkippedFile[];
  /** Files that could not be scanned: a crashed rule, a blown time budget, an unreadable file. */
  errors: { file: string; message: string; ruleId?: string }[];
  files: number;
  lines: number;
  bytes: number;
}

/**
 * Scan files on `threads` worker threads, one file at a time per thread, so patterns never run
 * on the caller's event loop and a file that exceeds its time budget can be stopped: its thread
 * is terminated and a fresh one takes the next file.
 */
export async function scanOnWorkers(
  tasks: readonly FileTask[],
  opts: PoolOptions,
): Promise<PoolResult> {
  const result: PoolResult = {
    findings: [],
    skipped: [],
    errors: [],
    files: 0,
    lines: 0,
    bytes: 0,
  };
  if (tasks.length === 0) return result;
  let next = 0;
  let done = 0;
  const threads = Math.max(1, Math.min(opts.threads, tasks.length));

  const lane = async (): Promise<void> => {
    let worker: Worker | null = null;
    const fresh = (): Worker => new Worker(WORKER_URL, { workerData: { rules: opts.rules } });
    try {
      while (next < tasks.length && !opts.signal?.aborted) {
        const id = next++;
        const task = tasks[id] as FileTask;
        worker ??= fresh();
        const reply = await runOne(
          worker,
          { id, path: task.path, absPath: task.absPath, text: task.text },
          opts.fileTimeoutMs,
        );
        if (reply === 'timeout' || reply instanceof Error) {
          // The thread is stuck or dead: end it; the next file gets a new one.
          await worker.terminate().catch(() => {});
          worker = null;
          result.errors.push({
            file: task.path,
            message:
              reply === 'timeout'
                ? `scanning ${task.path} took longer than its ${opts.fileTimeoutMs} ms budget`
                : `the scan worker died on ${task.path}: ${reply.message}`,
          });
        } else if (!reply.ok) {
          result.errors.push({
            file: task.path,
            message: reply.error,
            ...(reply.ruleId ? { ruleId: reply.ruleId } : {}),
          });
        } else if ('skipped' in reply) {
          result.skipped.push({ path: task.path, reason: reply.skipped });
        } else {
          result.files++;
          result.lines += reply.lines;
          result.bytes += reply.bytes;
          result.findings.push(...reply.findings);
        }
        done++;
        opts.onFile?.(
          done,
          tasks.length,
          task.path,
          reply !== 'timeout' && !(reply instanceof Error) && reply.ok && 'findings' in reply
            ? reply.findings.length
            : 0,
        );
      }
    } finally {
      await worker?.terminate().catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: threads }, lane));
  if (opts.signal?.aborted)
    throw opts.signal.reason instanceof Error
      ? opts.signal.reason
      : new Error('the scan was aborted');
  return result;
}

function runOne(
  worker: Worker,
  task: WorkerTask,
  timeoutMs: number,
): Promise<WorkerReply | 'timeout' | Error> {
  return new Promise((resolve) => {
    const settle = (v: WorkerReply | 'timeout' | Error): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(v);
    };
    const onMessage = (m: WorkerReply): void => {
      if (m.id === task.id) settle(m);
    };
    const onError = (e: Error): void => settle(e);
    const onExit = (code: number): void => settle(new Error(`exited with code ${code}`));
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(task);
  });
}
