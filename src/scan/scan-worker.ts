// Worker thread: compiles the scan's rules once, then scans the files it is sent one at a time.
// A rule that throws is reported as a crash (the scan becomes an error); a file that takes too
// long is the pool's business (it terminates this thread).
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { ScanFinding } from '../domain/scan.ts';
import { compileRule, RuleCrash, scanSource, type CompiledRule } from './compile.ts';
import { looksBinary } from './files.ts';
import type { RuleDef } from './rule-schema.ts';
import { languageOf, SourceFile } from './source-file.ts';
import { applyInlineSuppressions } from './suppressions.ts';

export interface WorkerTask {
  id: number;
  path: string;
  absPath?: string;
  text?: string;
}

export type WorkerReply =
  | { id: number; ok: true; findings: ScanFinding[]; lines: number; bytes: number }
  | { id: number; ok: true; skipped: 'binary' }
  | { id: number; ok: false; error: string; ruleId?: string };

const port = parentPort;
if (!port) throw new Error('scan-worker.ts runs as a worker thread');

let rules: CompiledRule[] | null = null;
let initError: string | null = null;
try {
  rules = (workerData as { rules: RuleDef[] }).rules.map(compileRule);
} catch (e) {
  initError = `the rules did not compile: ${e instanceof Error ? e.message : String(e)}`;
}

async function handle(task: WorkerTask): Promise<WorkerReply> {
  if (!rules) return { id: task.id, ok: false, error: initError ?? 'no rules' };
  let text = task.text;
  if (text === undefined) {
    const bytes = await readFile(task.absPath as string);
    if (looksBinary(bytes)) return { id: task.id, ok: true, skipped: 'binary' };
    text = bytes.toString('utf8');
  } else if (text.includes('\0')) {
    return { id: task.id, ok: true, skipped: 'binary' };
  }
  const file = new SourceFile(task.path, text, languageOf(task.path));
  try {
    const findings = scanSource(rules, file);
    applyInlineSuppressions(file, findings);
    return { id: task.id, ok: true, findings, lines: file.lineCount, bytes: file.bytes.length };
  } catch (e) {
    if (e instanceof RuleCrash)
      return { id: task.id, ok: false, error: e.message, ruleId: e.ruleId };
    throw e;
  }
}

port.on('message', (task: WorkerTask) => {
  handle(task).then(
    (reply) => port.postMessage(reply),
    (e: unknown) =>
      port.postMessage({
        id: task.id,
        ok: false,
        error: `scanning ${task.path} failed: ${e instanceof Error ? e.message : String(e)}`,
      }),
  );
});
