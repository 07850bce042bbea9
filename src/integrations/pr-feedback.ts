import { pino, type Logger } from 'pino';
import type { Config } from '../config.ts';
import { isTerminal, type Run, type RunStatus } from '../domain/run.ts';
import type { EventBus, RunEvent } from '../events/event-bus.ts';
import type { Store } from '../store/connect.ts';
import type { RunNoteLevel } from '../store/run-notes.ts';
import { ForgeApiError, scrubToken, type FetchFn } from './forge-http.ts';
import { asStandardFetch, guardedFetch } from './guarded-fetch.ts';
import { GitHubClient, type GitHubStatusState } from './github.ts';
import { GitLabClient, type GitLabStatusState } from './gitlab.ts';
import type { FeedbackTarget, GitHubTarget, GitLabTarget } from './pr-feedback-target.ts';
import { renderMarkdownSummary } from '../report/markdown.ts';
import type { ReportInput } from '../report/report-model.ts';
import { defined } from '../domain/defined.ts';

export type { FeedbackTarget } from './pr-feedback-target.ts';

/** One run's request for PR feedback, as the trigger hands it over after the run is created. */
export interface FeedbackRegistration {
  projectId: string;
  projectSlug: string;
  /** Commit-status context (the project's setting, default `greenlight/<slug>`). */
  statusContext?: string;
  runId: string;
  /** Link from the status and the comment to the run; null: no link. */
  runUrl: string | null;
  target: FeedbackTarget;
}

/** What the trigger core needs: hand over a run's target (never throws, never blocks long). */
export interface RunFeedbackRegistry {
  registerRunFeedback(r: FeedbackRegistration): void;
}

type ForgeConfig = Pick<
  Config,
  'githubApiUrl' | 'gitlabApiUrl' | 'allowPrivateUrls' | 'trustedOrigins'
>;

/** A page of 100 comments of up to 64 KiB each fits; the guard's 1 MiB default would not. */
const MAX_FORGE_ANSWER_BYTES = 16 * 1024 * 1024;

export interface PrFeedbackOptions {
  store: Store;
  events: EventBus;
  config: ForgeConfig;
  logger?: Logger;
  /** HTTP for the forge APIs (default: the SSRF-guarded fetch, as for sign-in providers). */
  fetch?: FetchFn;
  /** Bound on one API call (default 15 s). */
  timeoutMs?: number;
  /** Unit of the waits between GitHub retries (default 1 s). */
  retryUnitMs?: number;
  /** The comment body (default: the run's Markdown summary report). */
  renderSummary?: (input: ReportInput) => string;
  /**
   * How often the runs still awaiting feedback are read (default 5 s): the end of a run that a
   * process killed right after finishing it never reaches the bus, and would hold its token
   * and its PR's pending status for good.
   */
  pollMs?: number;
}

interface Entry {
  reg: FeedbackRegistration;
  /** Work for this run, in order: pending status before the final one, always. */
  chain: Promise<void>;
  finished: boolean;
}

/**
 * Pull-request feedback for triggered runs: a commit status when the run is registered (pending)
 * and when it ends (success/failure/error), one sticky PR comment (MR note on GitLab) with the
 * run's Markdown summary, and optionally a GitHub check run.
 *
 * The forge token is request-scoped: it lives only in this process's memory, from the trigger
 * until the run's feedback is posted, and is never written to the database or a log. A server
 * restart in between loses the feedback of that run (the run itself goes on). A run's end is
 * heard on the bus, or read from the store every `pollMs` when its event never came. Every failure
 * (bad scope, unknown repository, network) becomes a note on the run and never fails it.
 */
export class PrFeedback implements RunFeedbackRegistry {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #config: ForgeConfig;
  readonly #logger: Logger;
  readonly #fetch: FetchFn;
  readonly #timeoutMs: number;
  readonly #retryUnitMs: number | undefined;
  readonly #render: (input: ReportInput) => string;
  readonly #entries = new Map<string, Entry>();
  readonly #pollMs: number;
  #unsubscribe: (() => void) | null = null;
  #poll: NodeJS.Timeout | null = null;

  constructor(o: PrFeedbackOptions) {
    this.#store = o.store;
    this.#events = o.events;
    this.#config = o.config;
    this.#logger = o.logger ?? pino({ level: 'silent' });
    this.#timeoutMs = o.timeoutMs ?? 15_000;
    this.#retryUnitMs = o.retryUnitMs;
    this.#fetch =
      o.fetch ??
      asStandardFetch(
        guardedFetch(o.config, {
          purpose: 'forge API URL',
          timeoutMs: this.#timeoutMs,
          maxBytes: MAX_FORGE_ANSWER_BYTES,
        }),
      );
    this.#render = o.renderSummary ?? renderMarkdownSummary;
    this.#pollMs = o.pollMs ?? 5_000;
  }

  /** Follow run events (start before the API takes triggers). */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#events.subscribe('*', (e) => this.#onEvent(e));
    this.#poll = setInterval(() => void this.#checkEnded(), this.#pollMs);
    this.#poll.unref();
  }

  /** Stop following events, let the work in flight end, and forget every token. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
    await this.idle();
    this.#entries.clear();
  }

  registerRunFeedback(reg: FeedbackRegistration): void {
    const entry: Entry = { reg, chain: Promise.resolve(), finished: false };
    this.#entries.set(reg.runId, entry);
    this.#enqueue(entry, () => this.#postPending(entry));
    // The run may have ended before it was registered (its event then went unseen).
    this.#enqueue(entry, async () => {
      const run = await this.#store.runs.get(reg.projectId, reg.runId);
      if (run && isTerminal(run.status)) await this.#finish(entry);
    });
  }

  /** Resolves when every piece of feedback queued so far has been sent (or given up). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const chains = [...this.#entries.values()].map((e) => e.chain);
      if (chains.length === 0) return;
      const before = chains.length;
      await Promise.all(chains);
      const after = [...this.#entries.values()].map((e) => e.chain);
      if (after.length === before && after.every((c, j) => c === chains[j])) return;
    }
  }

  /** How many runs' tokens are held now (tests check it drops to 0). */
  get heldTokens(): number {
    return this.#entries.size;
  }

  #onEvent(e: RunEvent): void {
    const entry = this.#entries.get(e.runId);
    if (!entry) return;
    if (e.type === 'run.started' && entry.reg.target.provider === 'gitlab') {
      this.#enqueue(entry, () => this.#postRunning(entry));
    } else if (e.type === 'run.finished') {
      this.#enqueue(entry, () => this.#finish(entry));
    }
  }

  /** Finish the feedback of runs that ended without their `run.finished` reaching this bus. */
  async #checkEnded(): Promise<void> {
    for (const entry of [...this.#entries.values()]) {
      if (entry.finished) continue;
      try {
        const status = await this.#store.runs.status(entry.reg.runId);
        if (status && isTerminal(status)) this.#enqueue(entry, () => this.#finish(entry));
      } catch (err) {
        this.#logger.warn({ err, runId: entry.reg.runId }, 'reading a run for PR feedback failed');
      }
    }
  }

  #enqueue(entry: Entry, work: () => Promise<void>): void {
    entry.chain = entry.chain.then(work).catch((err: unknown) => {
      this.#logger.error(
        { runId: entry.reg.runId, err: this.#scrubbed(entry, err) },
        'pull-request feedback failed',
      );
    });
  }

  async #postPending(entry: Entry): Promise<void> {
    const t = entry.reg.target;
    if (t.commitSha === null) return;
    const description = 'Greenlight run queued';
    if (t.provider === 'github') {
      await this.#step(entry, 'commit status "pending"', () =>
        this.#github(t).createCommitStatus(t.repo, t.commitSha!, {
          state: 'pending',
          targetUrl: entry.reg.runUrl,
          description,
          context: contextOf(entry.reg),
        }),
      );
    } else {
      await this.#step(entry, 'commit status "pending"', () =>
        this.#gitlab(t).setCommitStatus(t.project, t.commitSha!, {
          state: 'pending',
          name: contextOf(entry.reg),
          targetUrl: entry.reg.runUrl,
          description,
        }),
      );
    }
  }

  async #postRunning(entry: Entry): Promise<void> {
    const t = entry.reg.target as GitLabTarget;
    if (entry.finished || t.commitSha === null) return;
    await this.#step(entry, 'commit status "running"', () =>
      this.#gitlab(t).setCommitStatus(t.project, t.commitSha!, {
        state: 'running',
        name: contextOf(entry.reg),
        targetUrl: entry.reg.runUrl,
        description: 'Greenlight run in progress',
      }),
    );
  }

  /** Post the final status, the sticky comment and the check run, then forget the token. */
  async #finish(entry: Entry): Promise<void> {
    if (entry.finished) return;
    entry.finished = true;
    const { reg } = entry;
    try {
      const run = await this.#store.runs.get(reg.projectId, reg.runId);
      if (!run) return;
      const results = await this.#store.results.listByRun(run.id, run.projectId);
      const project = await this.#store.projects.get(run.projectId);
      const summary = this.#render({
        run,
        results,
        project: { slug: reg.projectSlug, name: project?.name ?? reg.projectSlug },
        ...(reg.runUrl ? { links: { runUrl: reg.runUrl } } : {}),
      });
      const t = reg.target;
      if (t.provider === 'github') await this.#finishGitHub(entry, t, run, summary);
      else await this.#finishGitLab(entry, t, run, summary);
    } finally {
      this.#entries.delete(reg.runId);
    }
  }

  async #finishGitHub(entry: Entry, t: GitHubTarget, run: Run, summary: string): Promise<void> {
    const gh = this.#github(t);
    const state = githubStateOf(run.status);
    if (t.commitSha !== null) {
      await this.#step(entry, `commit status "${state}"`, () =>
        gh.createCommitStatus(t.repo, t.commitSha!, {
          state,
          targetUrl: entry.reg.runUrl,
          description: describe(run),
          context: contextOf(entry.reg),
        }),
      );
    }
    if (t.prNumber !== null) {
      await this.#step(entry, `comment on PR #${t.prNumber}`, async () => {
        const c = await gh.upsertStickyComment(t.repo, t.prNumber!, markerOf(entry.reg), summary);
        return `${c.action} comment ${c.id}`;
      });
    }
    if (t.checks && t.commitSha !== null) {
      await this.#step(entry, 'check run', () =>
        gh.createCheckRun(t.repo, {
          name: contextOf(entry.reg),
          headSha: t.commitSha!,
          conclusion: checkConclusionOf(run.status),
          detailsUrl: entry.reg.runUrl,
          title: describe(run),
          summary,
          completedAt: run.finishedAt ?? new Date().toISOString(),
        }),
      );
    }
  }

  async #finishGitLab(entry: Entry, t: GitLabTarget, run: Run, summary: string): Promise<void> {
    const gl = this.#gitlab(t);
    const state = gitlabStateOf(run.status);
    if (t.commitSha !== null) {
      await this.#step(entry, `commit status "${state}"`, () =>
        gl.setCommitStatus(t.project, t.commitSha!, {
          state,
          name: contextOf(entry.reg),
          targetUrl: entry.reg.runUrl,
          description: describe(run),
        }),
      );
    }
    if (t.mrIid !== null) {
      await this.#step(entry, `note on MR !${t.mrIid}`, async () => {
        const n = await gl.upsertStickyNote(t.project, t.mrIid!, markerOf(entry.reg), summary);
        return `${n.action} note ${n.id}`;
      });
    }
  }

  /** One API call: its outcome becomes a note on the run; a failure never propagates. */
  async #step(entry: Entry, what: string, call: () => Promise<unknown>): Promise<void> {
    const source = entry.reg.target.provider;
    const provider = source === 'github' ? 'GitHub' : 'GitLab';
    try {
      const detail = await call();
      const extra = typeof detail === 'string' ? ` (${detail})` : '';
      await this.#note(entry, 'info', `${provider}: ${what} posted${extra}`);
    } catch (err) {
      const status = err instanceof ForgeApiError ? err.status : null;
      const message = this.#scrubbed(entry, err);
      const ignored = what === 'check run' && status === 403;
      const text = `${provider}: ${what} not posted: ${message}${ignored ? ' (ignored)' : ''}`;
      this.#logger.warn({ runId: entry.reg.runId, provider: source, status }, text);
      await this.#note(entry, ignored ? 'info' : 'warn', text);
    }
  }

  async #note(entry: Entry, level: RunNoteLevel, message: string): Promise<void> {
    const { projectId, runId, target } = entry.reg;
    try {
      await this.#store.runNotes.add({
        projectId,
        runId,
        level,
        source: target.provider,
        message: scrubToken(message, target.token),
      });
    } catch (err) {
      this.#logger.error({ runId, err: this.#scrubbed(entry, err) }, 'writing a run note failed');
    }
  }

  #scrubbed(entry: Entry, err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return scrubToken(text, entry.reg.target.token);
  }

  #github(t: GitHubTarget): GitHubClient {
    return new GitHubClient({
      baseUrl: this.#config.githubApiUrl,
      token: t.token,
      timeoutMs: this.#timeoutMs,
      fetch: this.#fetch,
      ...defined({ retryUnitMs: this.#retryUnitMs }),
    });
  }

  #gitlab(t: GitLabTarget): GitLabClient {
    return new GitLabClient({
      baseUrl: this.#config.gitlabApiUrl,
      token: t.token,
      timeoutMs: this.#timeoutMs,
      fetch: this.#fetch,
    });
  }
}

/** The status context / name: one per project, so several projects can gate one PR. */
const contextOf = (reg: FeedbackRegistration): string =>
  reg.statusContext ?? `greenlight/${reg.projectSlug}`;

/** The hidden marker our sticky comment carries; one comment per project per PR. */
const markerOf = (reg: Pick<FeedbackRegistration, 'projectSlug'>): string =>
  `<!-- greenlight:${reg.projectSlug} -->`;

function describe(run: Run): string {
  const failed = run.failed + run.errored;
  const counts = `${run.passed} passed, ${failed} failed${run.skipped ? `, ${run.skipped} skipped` : ''} of ${run.total}`;
  if (run.status === 'cancelled') return `Greenlight run cancelled (${counts})`;
  if (run.status === 'error') return `Greenlight run could not finish (${counts})`;
  return `Greenlight: ${counts}`;
}

function githubStateOf(s: RunStatus): GitHubStatusState {
  if (s === 'passed') return 'success';
  if (s === 'failed') return 'failure';
  return 'error';
}

function gitlabStateOf(s: RunStatus): GitLabStatusState {
  if (s === 'passed') return 'success';
  if (s === 'cancelled') return 'canceled';
  return 'failed';
}

function checkConclusionOf(s: RunStatus): 'success' | 'failure' | 'cancelled' {
  if (s === 'passed') return 'success';
  if (s === 'cancelled') return 'cancelled';
  return 'failure';
}
