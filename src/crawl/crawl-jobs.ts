/**
 * What the HTTP layer sees of crawl jobs: types only, so src/api never pulls in the browser.
 * The implementation is CrawlService (crawl-service.ts), handed to buildApp as ApiDeps.crawls.
 */
import type { Project } from '../domain/project.ts';
import type { CrawlRecord } from '../store/crawls.ts';
import type { GeneratedKind } from './generate-dedupe.ts';
import type { SiteMap } from './site-map.ts';

/** What a caller may ask of a crawl; every field optional, the crawler clamps and defaults. */
export interface CrawlRequest {
  /** Default: the project's baseUrl. */
  startUrl?: string;
  maxPages?: number;
  maxDepth?: number;
  concurrency?: number;
  respectRobots?: boolean;
  sameOrigin?: boolean;
  useSitemap?: boolean;
  /** Only these pages (absolute URLs on the start URL's origin): opened, links checked, none followed. */
  onlyUrls?: string[];
  /** Create draft tests from the site map when the crawl ends (default true). */
  generate?: boolean;
  /** Which kinds of drafts to generate (default all). */
  generateKinds?: GeneratedKind[];
  /**
   * An approved or draft test of the project that signs in: it runs first and the crawl starts
   * from its browser session (cookies, local storage). A failing sign-in fails the crawl.
   */
  signInTestId?: string;
}

/** Live events of one crawl, in order; `done` is the last. */
export type CrawlEvent =
  | { type: 'progress'; data: { visited: number; queued: number; current: string } }
  | { type: 'page'; data: { url: string; path: string; status: number; title: string } }
  | {
      type: 'done';
      data: {
        status: CrawlRecord['status'];
        pages: number;
        generated: number;
        error: string | null;
      };
    };

export interface CrawlJobs {
  /** Check the target (SSRF), record the crawl and run it in the background. */
  start(input: {
    project: Project;
    request: CrawlRequest;
    actor?: string | null;
  }): Promise<CrawlRecord>;
  /**
   * Listen to a running crawl: `listener` gets the latest progress at once, then every event.
   * Returns the unsubscribe function, or null when the crawl is not running in this process.
   */
  subscribe(crawlId: string, listener: (e: CrawlEvent) => void): (() => void) | null;
  /** Ask a running crawl to stop; false when it is not running here. */
  abort(crawlId: string): boolean;
}

/** What a run's crawl phase asks of a crawl (CrawlService.crawlToEnd). */
export interface CrawlToEndInput {
  project: Project;
  request: CrawlRequest & { startUrl: string };
  actor: string;
  signal?: AbortSignal;
  /** Called with the crawl record as soon as it exists. */
  onStart?: (record: CrawlRecord) => void | Promise<void>;
  onEvent?: (e: CrawlEvent) => void;
}

/** A crawl run to its end, for a run's crawl phase: not exclusive per project, abortable. */
export interface CrawlToEnd {
  crawlToEnd(input: CrawlToEndInput): Promise<{ record: CrawlRecord; siteMap: SiteMap | null }>;
}
