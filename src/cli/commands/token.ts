import type { Command } from 'commander';
import { loadConfig } from '../../config.ts';
import { ensureDefaultWorkspace } from '../../auth/accounts.ts';
import { AppError } from '../../domain/errors.ts';
import type { Project } from '../../domain/project.ts';
import type { Store } from '../../store/connect.ts';
import { openStore } from '../../store/connect.ts';

/** `expires <when>`, `expired <when>` or `never expires`, as `token list` shows it. */
function expiryOf(expiresAt: string | null, now = Date.now()): string {
  if (!expiresAt) return 'never expires';
  return `${Date.parse(expiresAt) <= now ? 'expired' : 'expires'} ${expiresAt}`;
}

async function projectOrFail(store: Store, ref: string): Promise<Project> {
  const project = await store.projects.get(ref);
  if (!project) throw new AppError('not_found', `project "${ref}" not found`);
  return project;
}

/** `greenlight token create|list|revoke`: project trigger tokens for CI, from the server's shell. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage project trigger tokens for CI');
  token
    .command('create')
    .description('create a trigger token; prints it once on stdout (only its hash is stored)')
    .requiredOption('--project <project>', 'project slug or id')
    .option('--name <name>', 'what the token is for, e.g. "GitHub Actions main"', 'CI')
    .option('--expires-in-days <days>', 'expire the token after this many days')
    .action(async (o: { project: string; name: string; expiresInDays?: string }) => {
      let expiresAt: string | null = null;
      if (o.expiresInDays !== undefined) {
        const days = Number(o.expiresInDays);
        if (!Number.isInteger(days) || days < 1 || days > 3650) {
          throw new AppError(
            'validation_failed',
            '--expires-in-days must be a whole number 1–3650',
          );
        }
        expiresAt = new Date(Date.now() + days * 86_400_000).toISOString();
      }
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        // On a new install (no user yet) projects have no workspace, and a token of a project
        // without one is refused. The default workspace is made now (taking such projects), as
        // the first user's registration would; that user then becomes its admin.
        await store.transaction((tx) => ensureDefaultWorkspace(tx));
        const project = await projectOrFail(store, o.project);
        const { token: plaintext, record } = await store.triggerTokens.create(project.id, {
          name: o.name,
          expiresAt,
        });
        // The token alone on stdout, so `TOKEN=$(greenlight token create …)` works; notes on stderr.
        process.stdout.write(`${plaintext}\n`);
        process.stderr.write(
          `Created trigger token "${record.name}" (${record.id}) for ${project.slug}` +
            (expiresAt ? `, expires ${expiresAt}` : '') +
            '. It is shown only now: store it as a CI secret.\n',
        );
      } finally {
        await store.close();
      }
    });
  token
    .command('list')
    .description("list a project's trigger tokens (prefix only)")
    .requiredOption('--project <project>', 'project slug or id')
    .action(async (o: { project: string }) => {
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        const project = await projectOrFail(store, o.project);
        for (const t of await store.triggerTokens.list(project.id)) {
          process.stdout.write(
            `${t.id}\t${t.prefix}…\t${t.name}\tcreated ${t.createdAt}\tlast used ${t.lastUsedAt ?? 'never'}\t${expiryOf(t.expiresAt)}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  token
    .command('revoke')
    .description('delete a trigger token')
    .requiredOption('--project <project>', 'project slug or id')
    .argument('<id>', 'token id (from token list)')
    .action(async (id: string, o: { project: string }) => {
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        const project = await projectOrFail(store, o.project);
        if (!(await store.triggerTokens.revoke(project.id, id))) {
          throw new AppError('not_found', `trigger token ${id} not found`);
        }
        process.stdout.write(`Revoked trigger token ${id}\n`);
      } finally {
        await store.close();
      }
    });
}
