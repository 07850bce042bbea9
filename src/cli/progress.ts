import { join } from 'node:path';
import { describeHealed } from '../domain/locator-memory.ts';
import { plural } from './plural.ts';
import type { Run, TestResult } from '../domain/run.ts';

/** Something that receives live run events and prints them. */
export interface ProgressPrinter {
  testStarted(name: string): void;
  testFinished(r: { testName: string; status: string; durationMs: number }): void;
  done(): void;
}

const symbols: Record<string, string> = {
  passed: '✓',
  failed: '✗',
  error: '!',
  skipped: '-',
  flaky: '~',
};
const colors: Record<string, string> = {
  passed: '32',
  failed: '31',
  error: '33',
  skipped: '90',
  flaky: '33',
};

export function colorize(enabled: boolean, code: string, text: string): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * On a TTY: one status line rewritten in place (done/total, failures, what is running). Else one
 * plain line per finished test, which reads well in CI logs.
 */
export function createProgress(out: NodeJS.WriteStream, total: number): ProgressPrinter {
  const tty = out.isTTY === true;
  const running = new Set<string>();
  let done = 0;
  let failed = 0;
  const render = (): void => {
    if (!tty) return;
    const current = [...running].slice(0, 2).join(', ');
    const line = `  ${done}/${total} done${failed ? `, ${failed} failed` : ''}${current ? ` · running: ${current}` : ''}`;
    const width = out.columns ?? 100;
    out.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
  };
  return {
    testStarted(name) {
      running.add(name);
      render();
    },
    testFinished(r) {
      running.delete(r.testName);
      done++;
      if (r.status !== 'passed' && r.status !== 'flaky' && r.status !== 'skipped') failed++;
      const mark = colorize(tty, colors[r.status] ?? '0', symbols[r.status] ?? '?');
      const line = `  ${mark} ${r.testName} ${colorize(tty, '90', formatMs(r.durationMs))}`;
      if (tty) out.write(`\r\x1b[2K${line}\n`);
      else out.write(`${line}\n`);
      render();
    },
    done() {
      if (tty) out.write('\r\x1b[2K');
    },
  };
}

/**
 * A trace's path and how to open it: Playwright's own viewer (the `@playwright/test` package, or
 * playwright-core's CLI) reads the zip; the dashboard's run page has **Open trace** too.
 */
function traceLines(path: string): string[] {
  return [`      trace: ${path}`, `        open it: npx playwright show-trace ${path}`];
}

/** The end-of-run summary: failures with their step and screenshot, counts and the verdict. */
export function formatSummary(
  run: Run,
  results: TestResult[],
  color: boolean,
  /** Where artifact paths are: the data dir, or the bucket's `s3://bucket/prefix/`. */
  artifactsAt: string,
): string {
  const where = (p: string): string =>
    artifactsAt.includes('://') ? `${artifactsAt}${p}` : join(artifactsAt, p);
  const lines: string[] = [];
  const bad = results.filter(
    (r) => r.status !== 'passed' && r.status !== 'skipped' && r.status !== 'flaky',
  );
  if (bad.length > 0) {
    lines.push('', 'Failures:');
    for (const r of bad) {
      lines.push(
        `  ${colorize(color, colors[r.status] ?? '0', symbols[r.status] ?? '?')} ${r.testName}` +
          (r.quarantined ? ' (quarantined: does not gate)' : ''),
      );
      if (r.failedStep !== null) {
        const step = r.steps[r.failedStep];
        lines.push(`      at step ${r.failedStep + 1}${step ? `: ${step.description}` : ''}`);
      }
      if (r.error)
        lines.push(
          ...r.error
            .split('\n')
            .slice(0, 6)
            .map((l) => `      ${l}`),
        );
      if (r.artifacts.screenshot) lines.push(`      screenshot: ${where(r.artifacts.screenshot)}`);
      if (r.artifacts.trace) lines.push(...traceLines(where(r.artifacts.trace)));
      if (r.artifacts.video) lines.push(`      video: ${where(r.artifacts.video)}`);
    }
  }
  const flaky = results.filter((r) => r.status === 'flaky');
  if (flaky.length > 0) {
    lines.push('', 'Flaky (passed on a retry):');
    for (const r of flaky) {
      const first = r.retries?.[0];
      const why = first?.error ? ` — attempt ${first.attempt}: ${first.error.split('\n')[0]}` : '';
      lines.push(`  ${colorize(color, colors.flaky ?? '0', '~')} ${r.testName}${why}`);
    }
  }
  const healed = results.filter((r) => r.healed?.length);
  if (healed.length > 0) {
    lines.push('', 'Healed (passed with a recorded alternative; update the locator):');
    for (const r of healed) {
      for (const h of r.healed ?? []) {
        lines.push(`  ${colorize(color, '33', '⚕')} ${r.testName}: ${describeHealed(h)}`);
      }
    }
  }
  const wall =
    run.startedAt && run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : 0;
  const work = results.reduce((s, r) => s + r.durationMs, 0);
  lines.push('');
  lines.push(
    `${plural(run.total, 'test')}: ${run.passed} passed, ${run.failed} failed` +
      (run.errored ? `, ${run.errored} errored` : '') +
      (run.flaky ? `, ${run.flaky} flaky` : '') +
      (run.skipped ? `, ${run.skipped} skipped` : '') +
      (run.quarantined ? `, ${run.quarantined} quarantined` : '') +
      (healed.length ? `, ${healed.length} healed` : '') +
      ` · wall ${formatMs(wall)} (test time ${formatMs(work)}, ${plural(run.parallelWorkers, 'worker')})`,
  );
  const verdictColor = run.status === 'passed' ? '32' : run.status === 'failed' ? '31' : '33';
  lines.push(
    `Verdict: ${colorize(color, verdictColor, run.status.toUpperCase())}${run.error ? ` — ${run.error}` : ''}`,
  );
  return lines.join('\n');
}
