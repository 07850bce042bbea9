import { Option, type Command } from 'commander';
import {
  CiClient,
  CiHttpError,
  exitCodeForHttp,
  type CiRun,
  type ResultItem,
  type SseMessage,
} from '../ci-client.ts';
import { writeCiReports } from '../ci-junit.ts';
import { addTagFlags, tagsOfFlags, type TagFlags } from '../tag-flags.ts';
import { addCiRunFlags, triggerFieldsOfFlags, type CiRunFlags } from '../ci-run-flags.ts';
import { colorize, createProgress, formatMs, type ProgressPrinter } from '../progress.ts';
import { runPageUrl } from '../../domain/run-page.ts';

/** Exit codes of the pipeline CLI (README "Pipeline CLI"). */
const EXIT = { passed: 0, failed: 1, error: 2, auth: 3, notFound: 4, interrupted: 130 };

interface Connection {
  url?: string;
  token?: string;
  json?: boolean;
}

interface RunCmdOptions extends Connection, CiRunFlags, TagFlags {
  project: string;
  suite?: string[];
  test?: string[];
  baseUrl?: string;
  env?: string;
  wait?: boolean;
  timeout: number;
  junit?: string;
  html?: string;
  sarif?: string;
  markdown?: string;
  reportJson?: string;
}

/** A message for the user and the exit code that goes with it. */
class Exit extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

function clientOf(o: Connection): CiClient {
  const url = o.url ?? process.env.GREENLIGHT_URL;
  const token = o.token ?? process.env.GREENLIGHT_TOKEN;
  if (!url) throw new Exit(EXIT.error, 'no server URL: pass --url or set GREENLIGHT_URL');
  if (!/^https?:\/\//.test(url)) throw new Exit(EXIT.error, `--url must be http(s), got "${url}"`);
  if (!token) throw new Exit(EXIT.error, 'no token: pass --token or set GREENLIGHT_TOKEN');
  return new CiClient({ url, token });
}

/** Exit code of a finished (or still running) run; Greenlight's own status is the finer one. */
function exitCodeForRun(run: CiRun): number {
  switch (run.runStatus) {
    case 'passed':
      return EXIT.passed;
    case 'failed':
      return EXIT.failed;
    case 'error':
    case 'cancelled':
    case 'queued':
    case 'running':
      return EXIT.error;
  }
  if (run.status === 'completed') return EXIT.passed;
  if (run.status === 'failed' && run.failed > 0) return EXIT.failed;
  return EXIT.error;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/** Prints stream events as progress lines; remembers results so a resumed stream adds no duplicates. */
class Printer {
  readonly results = new Map<string, ResultItem>();
  #progress: ProgressPrinter | null = null;
  readonly #out: NodeJS.WriteStream;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  #ensure(total: number): ProgressPrinter {
    this.#progress ??= createProgress(this.#out, total);
    return this.#progress;
  }

  snapshot(total: number, results: (ResultItem & { attempt?: number })[]): void {
    const p = this.#ensure(total);
    for (const r of results) this.result(r, p);
  }

  started(name: string): void {
    this.#progress?.testStarted(name);
  }

  result(r: ResultItem & { attempt?: number }, p = this.#ensure(0)): void {
    const key = `${r.testId}#${r.attempt ?? 1}`;
    if (this.results.has(key)) return;
    this.results.set(key, r);
    p.testFinished(r);
  }

  done(): void {
    this.#progress?.done();
  }
}

/**
 * Follow a run to its end over SSE, reconnecting with Last-Event-ID; falls back to polling the
 * status URL when the stream is unavailable. Resolves null when `signal` aborts first.
 */
async function follow(
  client: CiClient,
  runId: string,
  statusUrl: string,
  printer: Printer,
  signal: AbortSignal,
): Promise<CiRun | null> {
  let lastId: string | null = null;
  let failures = 0;
  let final: CiRun | null = null;
  const onMessage = (m: SseMessage): void => {
    if (m.id !== null) lastId = m.id;
    failures = 0;
    const data = JSON.parse(m.data) as Record<string, unknown>;
    if (m.event === 'snapshot') {
      const run = data.run as { total: number };
      printer.snapshot(run.total, data.results as ResultItem[]);
    } else if (m.event === 'log' && data.started === true) {
      printer.started(String(data.testName ?? data.testId));
    } else if (m.event === 'result') {
      printer.result(data as unknown as ResultItem);
    } else if (m.event === 'done') {
      final = data as unknown as CiRun;
    }
  };
  while (!signal.aborted && final === null) {
    try {
      const over = await client.streamOnce(runId, lastId, onMessage, signal);
      if (over && final === null) return await client.run(runId);
    } catch (e) {
      if (signal.aborted) return null;
      if (e instanceof CiHttpError && (e.status === 401 || e.status === 403)) throw e;
      // No stream here (an older server, a proxy that buffers): ask the status URL instead.
      if (e instanceof CiHttpError && e.status === 404) return poll(client, statusUrl, signal);
      if (++failures >= 5) return poll(client, statusUrl, signal);
    }
    if (final === null) await sleep(Math.min(250 * 2 ** failures, 5_000), signal);
  }
  return final;
}

async function poll(
  client: CiClient,
  statusUrl: string,
  signal: AbortSignal,
): Promise<CiRun | null> {
  while (!signal.aborted) {
    const { run, retryAfter } = await client.status(statusUrl);
    if (run.status !== 'running') return run;
    await sleep(Math.min(Math.max(retryAfter ?? 2, 1), 10) * 1000, signal);
  }
  return null;
}

function summaryLines(run: CiRun, results: ResultItem[], color: boolean): string[] {
  const c = run.status === 'completed' ? '32' : run.status === 'failed' ? '31' : '33';
  const lines = [
    '',
    `Run ${run.runId}: ${colorize(color, c, run.status.toUpperCase())}` +
      ` — ${run.passed} passed, ${run.failed} failed, ${run.total} total` +
      (run.error ? ` · ${run.error}` : ''),
  ];
  const bad = results.filter((r) => r.status === 'failed' || r.status === 'error');
  for (const r of bad.slice(0, 20)) {
    lines.push(`  ✗ ${r.testName} (${formatMs(r.durationMs)})`);
    if (r.error)
      lines.push(
        ...r.error
          .split('\n')
          .slice(0, 4)
          .map((l) => `      ${l}`),
      );
  }
  if (bad.length > 20) lines.push(`  … and ${bad.length - 20} more`);
  return lines;
}

async function ciRun(o: RunCmdOptions): Promise<number> {
  const client = clientOf(o);
  const out = o.json ? process.stderr : process.stdout;
  const body = {
    ...(o.suite?.length ? { suites: o.suite } : {}),
    ...(o.test?.length ? { tests: o.test } : {}),
    ...(tagsOfFlags(o).length ? { tags: tagsOfFlags(o) } : {}),
    ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
    ...(o.env ? { environment: o.env } : {}),
    ...triggerFieldsOfFlags(o),
  };
  const { runId, statusUrl } = await client.trigger(o.project, body);
  const pageUrl = runPageUrl(client.base, { projectId: o.project, id: runId });
  const links = { runId, statusUrl, eventsUrl: client.eventsUrl(runId), pageUrl };
  if (o.wait === false) {
    if (o.json) process.stdout.write(`${JSON.stringify(links)}\n`);
    else out.write(`Triggered run ${runId}\nStatus: ${statusUrl}\nRun page: ${pageUrl}\n`);
    return EXIT.passed;
  }
  out.write(`Greenlight · ${o.project} · run ${runId}\n${pageUrl}\n`);

  const stop = new AbortController();
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) process.exit(EXIT.interrupted); // a second Ctrl-C does not wait
    interrupted = sig;
    stop.abort();
  };
  const timer = setTimeout(() => stop.abort(), o.timeout * 1000);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const printer = new Printer(out);
  let final: CiRun | null;
  try {
    final = await follow(client, runId, statusUrl, printer, stop.signal);
  } finally {
    clearTimeout(timer);
    printer.done();
  }
  if (interrupted) {
    out.write(`\nInterrupted (${interrupted}): cancelling run ${runId}…\n`);
    const reason = `interrupted (${interrupted}) in greenlight ci run`;
    const cancelled = await client.abort(runId, reason).catch((e: unknown) => {
      process.stderr.write(`greenlight: could not cancel the run: ${String(e)}\n`);
      return null;
    });
    if (cancelled) out.write(`Run ${runId}: ${cancelled.status}\n`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return EXIT.interrupted;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (!final) {
    throw new Exit(
      EXIT.error,
      `timed out after ${o.timeout} s waiting for run ${runId}; it goes on: ${statusUrl}`,
    );
  }
  // The stream's `done` has the verdict; the run read adds Greenlight's own status when allowed.
  const run = await client.run(runId).catch(() => final);
  const results = await client.results(runId).catch(() => [...printer.results.values()]);
  const files = {
    ...(o.junit ? { junit: o.junit } : {}),
    ...(o.html ? { html: o.html } : {}),
    ...(o.sarif ? { sarif: o.sarif } : {}),
    ...(o.markdown ? { markdown: o.markdown } : {}),
    ...(o.reportJson ? { json: o.reportJson } : {}),
  };
  const written = await writeCiReports(client, files, {
    project: o.project,
    run: { ...run, runId },
    results,
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...run, ...links, results }, null, 2)}\n`);
  } else {
    const lines = summaryLines(run, results, out.isTTY === true);
    lines.push(`Status: ${statusUrl}`, `Run page: ${pageUrl}`);
    lines.push(...written);
    out.write(`${lines.join('\n')}\n`);
  }
  return exitCodeForRun(run);
}

async function ciStatus(runId: string, o: Connection & { project?: string }): Promise<number> {
  const client = clientOf(o);
  const path = o.project
    ? `/api/v1/projects/${encodeURIComponent(o.project)}/trigger/runs/${encodeURIComponent(runId)}`
    : `/api/v1/runs/${encodeURIComponent(runId)}`;
  const { run } = await client.status(path);
  process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  return exitCodeForRun(run);
}

async function ciCancel(runId: string, o: Connection & { reason?: string }): Promise<number> {
  const run = await clientOf(o).abort(runId, o.reason);
  process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
  return EXIT.passed;
}

/** Run an action and turn its outcome into the exit code; the token never reaches the output. */
async function exitWith(action: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await action();
  } catch (e) {
    if (e instanceof Exit) code = e.code;
    else if (e instanceof CiHttpError) code = exitCodeForHttp(e.status);
    else code = EXIT.error;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`greenlight: ${message}\n`);
  }
  process.exitCode = code;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new Exit(EXIT.error, `${name} must be a positive integer`);
    return n;
  };
}

const connectionOptions = (cmd: Command): Command =>
  cmd
    .option('--url <url>', 'Greenlight server base URL (env GREENLIGHT_URL)')
    .option('--token <token>', 'trigger token or API key (env GREENLIGHT_TOKEN)');

/** `greenlight ci run|status|cancel`: drive a remote Greenlight from a pipeline. */
export function registerCi(program: Command): void {
  const ci = program
    .command('ci')
    .description(
      'trigger and follow runs on a Greenlight server from a pipeline ' +
        '(exit 0 passed, 1 failed, 2 error/timeout, 3 auth, 4 not found, 130 interrupted)',
    );

  const run = addTagFlags(connectionOptions(ci.command('run')))
    .description('trigger a run, stream its progress and exit with its verdict')
    .requiredOption('--project <slug|id>', 'project to run')
    .option('--suite <name...>', 'only tests of these suites')
    .option('--test <id...>', 'only these test ids')
    .option('--base-url <url>', 'run against this URL (a preview deploy)')
    .option('--env <name>', 'environment to use; default: the project\'s "default" one');
  addCiRunFlags(run)
    .option('--wait', 'follow the run until it ends (default)')
    .option('--no-wait', 'print the run id and status URL, then exit 0')
    .addOption(
      new Option('--timeout <seconds>', 'give up waiting after this long (exit 2)')
        .argParser(positiveInt('--timeout'))
        .default(1800),
    )
    .option('--junit <file>', 'write a JUnit XML report of the results')
    .option('--html <file>', 'write the self-contained HTML report')
    .option('--sarif <file>', 'write a SARIF 2.1.0 report of failed tests')
    .option('--markdown <file>', 'write the Markdown summary (e.g. $GITHUB_STEP_SUMMARY)')
    .option('--report-json <file>', 'write the versioned JSON report')
    .option('--json', 'print the final run and results as JSON on stdout')
    .action((o: RunCmdOptions) => exitWith(() => ciRun(o)));

  connectionOptions(ci.command('status'))
    .description('print a run’s status as JSON and exit by its verdict (running: 2)')
    .argument('<runId>')
    .option('--project <slug|id>', 'read the trigger status URL of this project')
    .action((runId: string, o: Connection & { project?: string }) =>
      exitWith(() => ciStatus(runId, o)),
    );

  connectionOptions(ci.command('cancel'))
    .description('abort a run; running tests stop and the run ends aborted')
    .argument('<runId>')
    .option('--reason <text>', 'why (stored as the run error)')
    .action((runId: string, o: Connection & { reason?: string }) =>
      exitWith(() => ciCancel(runId, o)),
    );
}
