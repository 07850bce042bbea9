import type { Command } from 'commander';
import { BrowserPool } from '../../browser/browser-pool.ts';
import { loadConfig } from '../../config.ts';
import { crawl, type CrawlProgress } from '../../crawl/crawler.ts';
import { generateTests } from '../../crawl/generate.ts';
import type { SiteMap } from '../../crawl/site-map.ts';
import { AppError } from '../../domain/errors.ts';
import { signInSession } from '../../engine/sign-in-session.ts';
import { openStore, type Store } from '../../store/connect.ts';
import { storeOptions } from '../../store/secret-key.ts';
import {
  DEMO_SLUG,
  demoPort,
  ensureDemoProject,
  ensureDemoSite,
  trustDemoSite,
  type DemoSiteHandle,
} from '../demo-project.ts';
import { plural } from '../plural.ts';
import { colorize } from '../progress.ts';

interface CrawlCliOptions {
  maxPages?: string;
  maxDepth?: string;
  concurrency?: string;
  robots: boolean;
  json?: boolean;
  generate?: boolean;
  signIn?: string;
}

const toInt = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new AppError('validation_failed', `${name} must be a whole number`);
  return n;
};

/**
 * `greenlight crawl <project|url>`: crawl in this process and print the pages found and the broken
 * links. With a project, the crawl is recorded and --generate stores draft tests for review; with
 * a URL, --generate prints the drafts (in --json). Exit 1 when broken links were found.
 */
export function registerCrawl(program: Command): void {
  program
    .command('crawl')
    .description('Discover the pages of a site (Chromium) and optionally draft tests from them')
    .argument('<target>', 'project id/slug (crawls its baseUrl) or an http(s) URL')
    .option('--max-pages <n>', 'pages kept at most (default 50, max 2000)')
    .option('--max-depth <n>', 'link depth from the start page (default 3)')
    .option('--concurrency <n>', 'pages rendered at once (1-8, default 2)')
    .option('--no-robots', 'ignore robots.txt')
    .option('--json', 'print the site map as JSON')
    .option('--generate', 'draft tests from the site map (stored for review with a project)')
    .option(
      '--sign-in <testId>',
      "run this test of the project first (with its 'default' environment) and crawl signed in",
    )
    .action(async (target: string, o: CrawlCliOptions) => {
      const config = loadConfig();
      const isUrl = /^https?:\/\//i.test(target);
      let store: Store | null = null;
      let demo: DemoSiteHandle | undefined;
      const pool = new BrowserPool({
        chromiumPath: config.chromiumPath,
        browserWs: config.browserWs,
      });
      const controller = new AbortController();
      const onSigint = (): void => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        store = isUrl ? null : await openStore(storeOptions(config));
        if (store && target === DEMO_SLUG) {
          // The bundled demo: its site runs (or is started) here and exactly its origin is allowed.
          demo = await ensureDemoSite({ port: demoPort(), dataDir: config.dataDir });
          if (demo.note) process.stderr.write(`${demo.note}\n`);
          await ensureDemoProject(store, config.dataDir, demo.url);
          trustDemoSite(config, demo);
        }
        const project = isUrl ? null : await store?.projects.get(target);
        if (!isUrl && !project) throw new AppError('not_found', `project "${target}" not found`);
        if (o.signIn && !project) {
          throw new AppError('validation_failed', '--sign-in needs a project, not a URL');
        }
        const startUrl = project ? project.baseUrl : target;
        const options = {
          startUrl,
          maxPages: toInt('--max-pages', o.maxPages),
          maxDepth: toInt('--max-depth', o.maxDepth),
          concurrency: toInt('--concurrency', o.concurrency),
          respectRobots: o.robots,
          ...(o.signIn ? { signInTestId: o.signIn } : {}),
        };
        const record = project
          ? await store?.crawls.create({ projectId: project.id, options, createdBy: 'cli' })
          : undefined;
        if (record) await store?.crawls.markRunning(record.id);
        const tty = process.stderr.isTTY === true && !o.json;
        // In CI logs (no TTY): one plain line per page kept, so a long crawl shows it is alive.
        const plain = process.stderr.isTTY !== true && !o.json;
        let kept = 0;
        const started = Date.now();
        let siteMap: SiteMap;
        try {
          const storageState =
            project && store && o.signIn
              ? await signInSession({ store, pool, dataDir: config.dataDir })(
                  project.id,
                  o.signIn,
                  {
                    signal: controller.signal,
                  },
                )
              : undefined;
          siteMap = await crawl(pool, {
            ...options,
            ...(storageState ? { storageState } : {}),
            allowPrivateUrls: config.allowPrivateUrls,
            trustedOrigins: config.trustedOrigins,
            signal: controller.signal,
            onProgress: tty ? (p) => renderProgress(p) : undefined,
            onPage: plain
              ? (p) => process.stderr.write(`  page ${++kept}: ${p.status} ${p.path}\n`)
              : undefined,
          });
        } catch (e) {
          if (record) {
            await store?.crawls.finish(record.id, {
              status: 'failed',
              pages: 0,
              error: e instanceof Error ? e.message : String(e),
            });
          }
          throw e;
        } finally {
          if (tty) process.stderr.write('\r\x1b[2K');
        }
        const status = controller.signal.aborted ? 'cancelled' : 'done';
        if (record) {
          await store?.crawls.finish(record.id, { status, siteMap, pages: siteMap.pages.length });
        }
        let drafts = 0;
        let documents: unknown[] = [];
        if (o.generate && status === 'done') {
          const existing = project
            ? ((await store?.tests.list(project.id, { limit: 5000, offset: 0 }))?.items ?? [])
            : [];
          const docs = generateTests(siteMap, existing);
          documents = docs;
          if (project && store) {
            for (const doc of docs) {
              await store.tests.create(project.id, doc, {
                status: 'draft',
                source: 'crawl',
                // The history names the crawl as the author; the crawl record says who ran it.
                actor: 'crawl',
              });
            }
            if (record) await store.crawls.setGenerated(record.id, docs.length);
          }
          drafts = docs.length;
        }
        if (o.json) {
          const out = {
            crawlId: record?.id ?? null,
            status,
            ...siteMap,
            ...(o.generate ? { tests: documents } : {}),
          };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          printSummary(siteMap, Date.now() - started, status);
          if (o.generate) {
            process.stdout.write(
              project
                ? `${plural(drafts, 'draft test')} stored for review: greenlight tests list --project ${project.slug} --status draft (or the dashboard's Review page)\n`
                : `${plural(drafts, 'draft test')} generated (use --json to see them, or crawl a project to store them)\n`,
            );
          }
        }
        if (status === 'cancelled') process.exitCode = 130;
        else if (siteMap.brokenLinks.length > 0) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
        await pool.close();
        await store?.close();
        await demo?.close();
      }
    });
}

function renderProgress(p: CrawlProgress): void {
  const line = `  ${plural(p.visited, 'page')}, ${p.queued} queued · ${p.current}`;
  const width = process.stderr.columns ?? 100;
  process.stderr.write(
    `\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`,
  );
}

function printSummary(map: SiteMap, ms: number, status: string): void {
  const color = process.stdout.isTTY === true;
  const out: string[] = [];
  out.push(
    `Crawled ${map.startUrl}: ${plural(map.pages.length, 'page')} in ${(ms / 1000).toFixed(1)}s${status === 'cancelled' ? ' (aborted)' : ''}`,
  );
  const width = Math.max(4, ...map.pages.map((p) => p.path.length));
  for (const p of map.pages) {
    const code = p.status >= 400 ? '31' : p.status >= 300 ? '33' : '32';
    const redirect = p.requestedUrl ? ` (from ${new URL(p.requestedUrl).pathname})` : '';
    out.push(
      `  ${colorize(color, code, String(p.status))}  ${p.path.padEnd(width)}  ${p.title}${redirect}`,
    );
  }
  const dupes = (map.skipped ?? []).filter((s) => s.reason === 'duplicate-template').length;
  if (dupes) out.push(`  (${plural(dupes, 'more page')} of an already-seen template not kept)`);
  if (map.brokenLinks.length) {
    out.push(colorize(color, '31', `Broken links: ${map.brokenLinks.length}`));
    for (const b of map.brokenLinks) out.push(`  ${b.status}  ${b.url}  (on ${b.from})`);
  } else {
    out.push('No broken links.');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
