import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import type { Project } from '../../domain/project.ts';
import { testStatuses, type TestStatus } from '../../domain/test-definition.ts';
import type { Test } from '../../domain/test.ts';
import { diffTestHistory, reviewTests, type ReviewAction } from '../../engine/review.ts';
import { openStore, type Store } from '../../store/connect.ts';
import { storeOptions } from '../../store/secret-key.ts';
import { plural } from '../plural.ts';
import { colorize } from '../progress.ts';
import { addTagFlags, tagsOfFlags, type TagFlags } from '../tag-flags.ts';
import { defined } from '../../domain/defined.ts';

/** Who a review from the CLI is recorded as, in `reviewedBy` and the test's history. */
const CLI_ACTOR = 'cli';

/** The shortest id prefix accepted in place of a whole test id. */
const MIN_PREFIX = 6;

async function withProject<T>(
  ref: string,
  fn: (store: Store, p: Project) => Promise<T>,
): Promise<T> {
  const store = await openStore(storeOptions(loadConfig()));
  try {
    const project = await store.projects.get(ref);
    if (!project) throw new AppError('not_found', `project "${ref}" not found`);
    return await fn(store, project);
  } finally {
    await store.close();
  }
}

async function allTests(
  store: Store,
  projectId: string,
  q: { status?: TestStatus; suite?: string; stale?: boolean } = {},
): Promise<Test[]> {
  const out: Test[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await store.tests.list(projectId, { ...q, limit: 500, offset });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

/**
 * Test ids as typed: a whole id, a test's `key`, or an id prefix of at least 6 characters that
 * names one test (as `tests list` prints). All are resolved before anything changes.
 */
function resolveTestRefs(tests: Test[], refs: string[]): string[] {
  const unknown: string[] = [];
  const ids = refs.map((ref) => {
    const exact = tests.find((t) => t.id === ref) ?? tests.find((t) => t.key === ref);
    if (exact) return exact.id;
    const byPrefix = ref.length >= MIN_PREFIX ? tests.filter((t) => t.id.startsWith(ref)) : [];
    if (byPrefix.length > 1) {
      throw new AppError(
        'validation_failed',
        `"${ref}" names ${byPrefix.length} tests: give more of the id`,
      );
    }
    if (byPrefix[0]) return byPrefix[0].id;
    unknown.push(ref);
    return ref;
  });
  if (unknown.length > 0) {
    throw new AppError('not_found', `no such test in this project: ${unknown.join(', ')}`, {
      missing: unknown,
    });
  }
  return ids;
}

const statusColor: Record<TestStatus, string> = { draft: '33', approved: '32', rejected: '90' };

function printList(tests: Test[], color: boolean): void {
  if (tests.length === 0) {
    process.stdout.write('No tests match.\n');
    return;
  }
  for (const t of tests) {
    const tags = t.tags.length ? `  [${t.tags.join(', ')}]` : '';
    const suite = t.suite ? `${t.suite} › ` : '';
    const stale = t.stale ? colorize(color, '33', `  stale: ${t.stale.reason}`) : '';
    process.stdout.write(
      `${t.id}  ${colorize(color, statusColor[t.status], t.status.padEnd(8))}  ${suite}${t.name}${tags}${stale}\n`,
    );
  }
  process.stdout.write(`${plural(tests.length, 'test')}\n`);
}

const pastTense: Record<ReviewAction, string> = {
  approve: 'Approved',
  reject: 'Rejected',
  restore: 'Restored to draft',
};

/**
 * `greenlight tests list|approve|reject|restore|diff`: the review queue from the server's shell.
 * Like `import`, `export` and `token`, it works on the data folder's store (or DATABASE_URL)
 * directly, with no server, API key or CSRF token; a running `greenlight serve` on the same
 * store sees the changes at once.
 */
export function registerTests(program: Command): void {
  const tests = program
    .command('tests')
    .description('review tests: list drafts, approve, reject or restore them, show a diff');
  addTagFlags(tests.command('list'), 'only tests with any of these tags')
    .description("list a project's tests (id, status, suite › name, tags)")
    .requiredOption('--project <project>', 'project slug or id')
    .option('--status <status>', `only this status (${testStatuses.join(' | ')})`)
    .option('--suite <suite>', 'only this suite')
    .option('--stale', 'only tests a crawl flagged as stale')
    .option('--json', 'print the tests as JSON')
    .action(
      async (
        o: TagFlags & {
          project: string;
          status?: string;
          suite?: string;
          stale?: boolean;
          json?: boolean;
        },
      ) => {
        if (o.status !== undefined && !(testStatuses as readonly string[]).includes(o.status)) {
          throw new AppError(
            'validation_failed',
            `--status must be one of ${testStatuses.join(', ')}`,
          );
        }
        const tags = tagsOfFlags(o);
        await withProject(o.project, async (store, project) => {
          const all = await allTests(store, project.id, {
            ...(o.status ? { status: o.status as TestStatus } : {}),
            ...(o.suite ? { suite: o.suite } : {}),
            ...(o.stale ? { stale: true } : {}),
          });
          const items = tags.length ? all.filter((t) => t.tags.some((x) => tags.includes(x))) : all;
          if (o.json) process.stdout.write(`${JSON.stringify({ items }, null, 2)}\n`);
          else printList(items, process.stdout.isTTY === true);
        });
      },
    );
  for (const action of ['approve', 'reject', 'restore'] as const) {
    tests
      .command(action)
      .description(
        action === 'restore'
          ? 'send rejected (or approved) tests back to draft'
          : `${action} tests (all or nothing: an unknown id changes nothing)`,
      )
      .requiredOption('--project <project>', 'project slug or id')
      .argument('<id...>', 'test ids (or keys, or id prefixes of 6+ characters)')
      .action(async (refs: string[], o: { project: string }) => {
        await withProject(o.project, async (store, project) => {
          const ids = resolveTestRefs(await allTests(store, project.id), refs);
          const changed = await reviewTests(store, project.id, ids, action, CLI_ACTOR);
          const unique = new Set(ids).size;
          process.stdout.write(
            `${pastTense[action]} ${plural(unique, 'test')} in ${project.slug}` +
              (changed < unique
                ? ` (${unique - changed} already ${action === 'restore' ? 'draft' : `${action}d`})`
                : '') +
              '\n',
          );
        });
      });
  }
  tests
    .command('diff')
    .description("a test's latest change as a unified diff of its YAML (or --from/--to versions)")
    .requiredOption('--project <project>', 'project slug or id')
    .argument('<id>', 'test id (or key, or an id prefix of 6+ characters)')
    .option('--from <version>', 'older version (default: the one before --to)')
    .option('--to <version>', 'newer version (default: the latest)')
    .option('--json', 'print the structured diff as JSON')
    .action(
      async (ref: string, o: { project: string; from?: string; to?: string; json?: boolean }) => {
        const version = (flag: string, v: string | undefined): number | undefined => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1) {
            throw new AppError('validation_failed', `${flag} must be a version number (1, 2, …)`);
          }
          return n;
        };
        const from = version('--from', o.from);
        const to = version('--to', o.to);
        await withProject(o.project, async (store, project) => {
          const [id] = resolveTestRefs(await allTests(store, project.id), [ref]);
          const diff = await diffTestHistory(store, project.id, id ?? ref, defined({ from, to }));
          if (o.json) {
            process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
            return;
          }
          const color = process.stdout.isTTY === true;
          const head =
            diff.from === null ? `v${diff.to} (first version)` : `v${diff.from} → v${diff.to}`;
          process.stdout.write(
            `${head}: ${diff.changed.length ? `changed ${diff.changed.join(', ')}` : 'no change'}\n`,
          );
          for (const line of diff.unified.split('\n').slice(2)) {
            const code = line.startsWith('+')
              ? '32'
              : line.startsWith('-')
                ? '31'
                : line.startsWith('@@')
                  ? '36'
                  : '';
            process.stdout.write(`${code ? colorize(color, code, line) : line}\n`);
          }
        });
      },
    );
}
