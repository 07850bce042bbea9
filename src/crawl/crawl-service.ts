import type { Logger } from 'pino';
import type { BrowserPool } from '../browser/browser-pool.ts';
import type { Config } from '../config.ts';
import { AppError } from '../domain/errors.ts';
import type { Project } from '../domain/project.ts';
import { assertPublicUrl } from '../integrations/ssrf.ts';
import type { Store } from '../store/connect.ts';
import type { CrawlRecord } from '../store/crawls.ts';
import type {
  CrawlEvent,
  CrawlJobs,
  CrawlRequest,
  CrawlToEnd,
  CrawlToEndInput,
} from './crawl-jobs.ts';
import { crawl, type CrawlOptions } from './crawler.ts';
import { generateTests, type GeneratedKind } from './generate.ts';
import { existingTests, storeDrafts } from './generate-store.ts';
import type { SiteMap } from './site-map.ts';

export interface CrawlServiceDeps {
  store: Store;
  pool: BrowserPool;
  config: Pick<Config, 'allowPrivateUrls' | 'trustedOrigins'>;
  logger?: Logger;
  /** Runs after a finished crawl is stored, before drafts are generated (stale-test flagging). */
  afterCrawl?: (projectId: string, siteMap: SiteMap, actor: string) => Promise<unknown>;
  /**
   * Runs a sign-in test and returns its session (src/engine/sign-in-session.ts). The crawl layer
   * may not import the runner, so whoever builds the service hands it in; without it a crawl
   * that asks for a sign-in is refused.
   */
  signIn?: (
    projectId: string,
    testId: string,
    opts?: { baseUrl?: string; signal?: AbortSignal },
  ) => Promise<NonNullable<CrawlOptions['storageState']>>;
  /**
   * This process's lease id: recorded on each crawl, so that another server starting fails it
   * only once this process is gone. None: the crawl counts as abandoned.
   */
  owner?: string;
}

interface Live {
  controller: AbortController;
  listeners: Set<(e: CrawlEvent) => void>;
  last: CrawlEvent | null;
  finished: Promise<void>;
}

/** Crawls running in this process: started by the API, observed over SSE, aborted on request. */
export class CrawlService implements CrawlJobs, CrawlToEnd {
  readonly #deps: CrawlServiceDeps;
  readonly #live = new Map<string, Live>();
  readonly #byProject = new Map<string, string>();

  constructor(deps: CrawlServiceDeps) {
    this.#deps = deps;
  }

  async start(input: {
    project: Project;
    request: CrawlRequest;
    actor?: string | null;
  }): Promise<CrawlRecord> {
    const { project, request } = input;
    const startUrl = request.startUrl ?? project.baseUrl;
    // Refused here, before a row exists or anything connects: 400 to the caller.
    await assertPublicUrl(startUrl, this.#deps.config, { purpose: 'crawl URL' });
    if (request.signInTestId !== undefined) await this.#checkSignIn(project, request.signInTestId);
    const running = this.#byProject.get(project.id);
    if (running) {
      throw new AppError('conflict', 'a crawl of this project is already running', {
        crawlId: running,
      });
    }
    return this.#launch(project, { ...request, startUrl }, input.actor ?? null, true);
  }

  /**
   * Crawl for a run's crawl phase and resolve when it has ended (recorded, drafts generated):
   * not exclusive per project (runs of several pull requests crawl their own previews), and
   * `signal` aborts it. The target must have passed the SSRF guard already.
   */
  async crawlToEnd(
    input: CrawlToEndInput,
  ): Promise<{ record: CrawlRecord; siteMap: SiteMap | null }> {
    const record = await this.#launch(input.project, input.request, input.actor, false);
    const unsubscribe = input.onEvent ? this.subscribe(record.id, input.onEvent) : null;
    const abort = (): void => void this.abort(record.id);
    input.signal?.addEventListener('abort', abort, { once: true });
    if (input.signal?.aborted) abort();
    try {
      await input.onStart?.(record);
      await this.settled(record.id);
    } finally {
      unsubscribe?.();
      input.signal?.removeEventListener('abort', abort);
    }
    const { store } = this.#deps;
    const [ended, siteMap] = await Promise.all([
      store.crawls.get(input.project.id, record.id),
      store.crawls.siteMap(input.project.id, record.id),
    ]);
    return { record: ended ?? record, siteMap: (siteMap as SiteMap | undefined) ?? null };
  }

  async #launch(
    project: Project,
    options: CrawlRequest & { startUrl: string },
    actor: string | null,
    exclusive: boolean,
  ): Promise<CrawlRecord> {
    const record = await this.#deps.store.crawls.create({
      projectId: project.id,
      options: { ...options },
      createdBy: actor,
      owner: this.#deps.owner ?? null,
    });
    const live: Live = {
      controller: new AbortController(),
      listeners: new Set(),
      last: null,
      finished: Promise.resolve(),
    };
    this.#live.set(record.id, live);
    if (exclusive) this.#byProject.set(project.id, record.id);
    live.finished = this.#run(record, project, options, actor ?? 'crawl', live).finally(() => {
      this.#live.delete(record.id);
      if (this.#byProject.get(project.id) === record.id) this.#byProject.delete(project.id);
    });
    return record;
  }

  subscribe(crawlId: string, listener: (e: CrawlEvent) => void): (() => void) | null {
    const live = this.#live.get(crawlId);
    if (!live) return null;
    if (live.last) listener(live.last);
    live.listeners.add(listener);
    return () => live.listeners.delete(listener);
  }

  abort(crawlId: string): boolean {
    const live = this.#live.get(crawlId);
    if (!live) return false;
    live.controller.abort();
    return true;
  }

  /** Wait for a crawl to end (tests, shutdown). */
  async settled(crawlId: string): Promise<void> {
    await this.#live.get(crawlId)?.finished;
  }

  /** Abort every running crawl and wait for them to record their end. */
  async close(): Promise<void> {
    const all = [...this.#live.values()];
    for (const l of all) l.controller.abort();
    await Promise.all(all.map((l) => l.finished));
  }

  async #run(
    record: CrawlRecord,
    project: Project,
    options: CrawlRequest & { startUrl: string },
    actor: string,
    live: Live,
  ): Promise<void> {
    const { store } = this.#deps;
    const log = this.#deps.logger?.child({ crawlId: record.id, projectId: project.id });
    const emit = (e: CrawlEvent): void => {
      if (e.type === 'progress') live.last = e;
      for (const l of live.listeners) l(e);
    };
    let status: CrawlRecord['status'];
    let error: string | null = null;
    let pages = 0;
    let generated = 0;
    try {
      log?.debug({ startUrl: options.startUrl, maxPages: options.maxPages }, 'crawl started');
      await store.crawls.markRunning(record.id);
      const storageState = options.signInTestId
        ? await this.#signIn(project, options, live.controller.signal)
        : undefined;
      const siteMap = await crawl(this.#deps.pool, {
        startUrl: options.startUrl,
        ...(options.onlyUrls ? { onlyUrls: options.onlyUrls } : {}),
        maxPages: options.maxPages,
        maxDepth: options.maxDepth,
        concurrency: options.concurrency,
        respectRobots: options.respectRobots,
        sameOrigin: options.sameOrigin,
        useSitemap: options.useSitemap,
        ...(storageState ? { storageState } : {}),
        allowPrivateUrls: this.#deps.config.allowPrivateUrls,
        trustedOrigins: this.#deps.config.trustedOrigins,
        signal: live.controller.signal,
        onProgress: (p) => emit({ type: 'progress', data: p }),
        onPage: (p) =>
          emit({
            type: 'page',
            data: { url: p.url, path: p.path, status: p.status, title: p.title },
          }),
      });
      pages = siteMap.pages.length;
      status = live.controller.signal.aborted ? 'cancelled' : 'done';
      await store.crawls.finish(record.id, { status, siteMap, pages });
      // A crawl of a few pages says nothing about the pages it did not open: no stale flags.
      if (status === 'done' && !options.onlyUrls) {
        await this.#deps.afterCrawl?.(project.id, siteMap, actor);
      }
      if (status === 'done' && options.generate !== false) {
        generated = await this.#generate(project.id, siteMap, options.generateKinds);
        await store.crawls.setGenerated(record.id, generated);
      }
    } catch (e) {
      status = 'failed';
      error = e instanceof Error ? e.message : String(e);
      log?.warn({ err: e }, 'crawl failed');
      await store.crawls
        .finish(record.id, { status, pages, error })
        .catch((err: unknown) => log?.error({ err }, 'crawl end not recorded'));
    }
    if (status !== 'failed') log?.info({ status, pages, generated }, 'crawl finished');
    emit({ type: 'done', data: { status, pages, generated, error } });
  }

  /** Refuse up front (400) what cannot sign in, before a crawl row exists. */
  async #checkSignIn(project: Project, testId: string): Promise<void> {
    if (!this.#deps.signIn) {
      throw new AppError('unavailable', 'signing in before a crawl is not enabled on this server');
    }
    const test = await this.#deps.store.tests.get(project.id, testId);
    if (!test || test.status === 'rejected') {
      throw new AppError(
        'validation_failed',
        `signInTestId: no approved or draft test "${testId}" in this project`,
      );
    }
  }

  /**
   * Sign in against the site being crawled: the project's baseUrl, or the start URL's origin
   * when the crawl starts on another site (a session for one origin is no use on another).
   */
  async #signIn(
    project: Project,
    options: CrawlRequest & { startUrl: string; signInTestId?: string },
    signal: AbortSignal,
  ): Promise<NonNullable<CrawlOptions['storageState']>> {
    const signIn = this.#deps.signIn;
    if (!signIn || !options.signInTestId) throw new Error('sign-in is not available');
    const start = new URL(options.startUrl);
    const baseUrl =
      start.origin === new URL(project.baseUrl).origin ? project.baseUrl : start.origin;
    return signIn(project.id, options.signInTestId, { baseUrl, signal });
  }

  /** Draft tests from the site map, leaving out those the project already has (by key or steps). */
  async #generate(projectId: string, siteMap: SiteMap, kinds?: GeneratedKind[]): Promise<number> {
    const { store } = this.#deps;
    const existing = await existingTests(store, projectId);
    const docs = generateTests(siteMap, existing, kinds ? { kinds } : {});
    // Drafts are the crawl's work: their history names `crawl` whoever started it (the crawl
    // record keeps that in createdBy).
    return (await storeDrafts(store, projectId, docs, { source: 'crawl', actor: 'crawl' })).length;
  }
}
