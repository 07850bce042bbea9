import type { Command } from 'commander';
import { createUserInDefaultWorkspace } from '../../auth/accounts.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/passwords.ts';
import { loadConfig } from '../../config.ts';
import { AppError } from '../../domain/errors.ts';
import type { Role } from '../../domain/principal.ts';
import { openStore } from '../../store/connect.ts';

interface UserCreateOptions {
  email: string;
  password?: string;
  name?: string;
  admin?: boolean;
  role: string;
}

/** `greenlight user create`: head-less set-up of the first admin (or more users). */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage user accounts');
  user
    .command('create')
    .description(
      'create a user in the default workspace (the first user, or --admin, is its admin)',
    )
    .requiredOption('--email <email>', 'e-mail address to sign in with')
    .option(
      '--password <password>',
      'password (default: the GREENLIGHT_USER_PASSWORD environment variable, which stays out of the process list)',
    )
    .option('--name <name>', 'display name')
    .option('--admin', 'make the user an admin of the default workspace')
    .option('--role <role>', 'role when not admin: editor | viewer', 'editor')
    .action(async (o: UserCreateOptions) => {
      const password = o.password ?? process.env.GREENLIGHT_USER_PASSWORD;
      if (!password) {
        throw new AppError('validation_failed', 'give --password or set GREENLIGHT_USER_PASSWORD');
      }
      if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
        throw new AppError(
          'validation_failed',
          `the password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
        );
      }
      if (!['editor', 'viewer', 'admin'].includes(o.role)) {
        throw new AppError('validation_failed', '--role must be editor or viewer');
      }
      if (!/^[^\s@]+@[^\s@]+$/.test(o.email)) {
        throw new AppError('validation_failed', `--email is not an e-mail address: ${o.email}`);
      }
      const store = await openStore({ databaseUrl: loadConfig().databaseUrl });
      try {
        const r = await createUserInDefaultWorkspace(store, {
          email: o.email,
          password,
          name: o.name ?? null,
          admin: o.admin === true,
          role: o.role as Role,
        });
        process.stdout.write(
          `Created user ${r.user.email} (${r.user.id}), ${r.role} of workspace "${r.workspace.name}"\n`,
        );
      } finally {
        await store.close();
      }
    });
}
