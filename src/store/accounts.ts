import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { AppError } from '../domain/errors.ts';
import type { Role } from '../domain/principal.ts';
import type { UsersTable } from './database.ts';
import { isUniqueViolation, toNumber, type RepoContext } from './sql-helpers.ts';

/** A person who signs in. The password hash never leaves the store except through `findByEmail`. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
  /** When the user proved their e-mail address (a link, or a provider that vouched); else null. */
  emailVerifiedAt: string | null;
}

/**
 * The password hash of an account made through a sign-in provider: no password matches it (it
 * is not a scrypt hash), until the user sets one through a password reset.
 */
export const NO_PASSWORD = '!none';

export interface UserWithHash extends User {
  passwordHash: string;
}

export interface Workspace {
  id: string;
  name: string;
  isDefault: boolean;
  createdAt: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: string;
}

/** Users, workspaces and the memberships (role per workspace) between them. */
export interface AccountRepository {
  countUsers(): Promise<number>;
  /** Throws conflict when the e-mail is taken. */
  createUser(i: {
    email: string;
    name?: string | null;
    passwordHash: string;
    /** The address is known to be the user's (an admin made the account, a provider vouched). */
    emailVerified?: boolean;
  }): Promise<User>;
  findByEmail(email: string): Promise<UserWithHash | undefined>;
  getUser(id: string): Promise<UserWithHash | undefined>;
  setPasswordHash(userId: string, hash: string): Promise<void>;
  /** Record that the user proved their address (kept when it was proved before). */
  markEmailVerified(userId: string): Promise<void>;
  createWorkspace(name: string, isDefault?: boolean): Promise<Workspace>;
  getWorkspace(id: string): Promise<Workspace | undefined>;
  defaultWorkspace(): Promise<Workspace | undefined>;
  /** Add the user to the workspace, or change their role there. */
  setRole(workspaceId: string, userId: string, role: Role): Promise<void>;
  roleOf(workspaceId: string, userId: string): Promise<Role | undefined>;
  /** The user's workspaces, oldest membership first (the first is where they sign in). */
  workspacesOf(userId: string): Promise<{ workspaceId: string; role: Role }[]>;
  members(workspaceId: string): Promise<Member[]>;
  /** Give every project without a workspace to this one; returns how many moved. */
  adoptOrphanProjects(workspaceId: string): Promise<number>;
}

const normalizeEmail = (email: string): string => email.trim().toLowerCase();

function toUser(r: Selectable<UsersTable>): UserWithHash {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    createdAt: r.created_at,
    emailVerifiedAt: r.email_verified_at,
    passwordHash: r.password_hash,
  };
}

export function accountRepository({ db, now }: RepoContext): AccountRepository {
  return {
    async countUsers() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return toNumber(row?.n);
    },

    async createUser(i) {
      const at = now();
      const row: Selectable<UsersTable> = {
        id: randomUUID(),
        email: normalizeEmail(i.email),
        name: i.name ?? null,
        password_hash: i.passwordHash,
        created_at: at,
        updated_at: at,
        email_verified_at: i.emailVerified ? at : null,
      };
      try {
        await db.insertInto('users').values(row).execute();
      } catch (e) {
        if (isUniqueViolation(e)) {
          throw new AppError('conflict', 'an account with this e-mail already exists');
        }
        throw e;
      }
      const { passwordHash: _omit, ...user } = toUser(row);
      return user;
    },

    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', normalizeEmail(email))
        .executeTakeFirst();
      return row && toUser(row);
    },

    async getUser(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async setPasswordHash(userId, hash) {
      await db
        .updateTable('users')
        .set({ password_hash: hash, updated_at: now() })
        .where('id', '=', userId)
        .execute();
    },

    async markEmailVerified(userId) {
      await db
        .updateTable('users')
        .set({ email_verified_at: now() })
        .where('id', '=', userId)
        .where('email_verified_at', 'is', null)
        .execute();
    },

    async createWorkspace(name, isDefault = false) {
      const ws = { id: randomUUID(), name, is_default: isDefault ? 1 : 0, created_at: now() };
      await db.insertInto('workspaces').values(ws).execute();
      return { id: ws.id, name, isDefault, createdAt: ws.created_at };
    },

    async getWorkspace(id) {
      const r = await db
        .selectFrom('workspaces')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return (
        r && { id: r.id, name: r.name, isDefault: r.is_default === 1, createdAt: r.created_at }
      );
    },

    async defaultWorkspace() {
      const r = await db
        .selectFrom('workspaces')
        .selectAll()
        .where('is_default', '=', 1)
        .orderBy('created_at')
        .executeTakeFirst();
      return r && { id: r.id, name: r.name, isDefault: true, createdAt: r.created_at };
    },

    async setRole(workspaceId, userId, role) {
      const updated = await db
        .updateTable('memberships')
        .set({ role })
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return;
      await db
        .insertInto('memberships')
        .values({ workspace_id: workspaceId, user_id: userId, role, created_at: now() })
        .execute();
    },

    async roleOf(workspaceId, userId) {
      const r = await db
        .selectFrom('memberships')
        .select('role')
        .where('workspace_id', '=', workspaceId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r?.role as Role | undefined;
    },

    async workspacesOf(userId) {
      const rows = await db
        .selectFrom('memberships')
        .select(['workspace_id', 'role'])
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('workspace_id')
        .execute();
      return rows.map((r) => ({ workspaceId: r.workspace_id, role: r.role as Role }));
    },

    async members(workspaceId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select([
          'users.id',
          'users.email',
          'users.name',
          'memberships.role',
          'memberships.created_at',
        ])
        .where('memberships.workspace_id', '=', workspaceId)
        .orderBy('users.email')
        .execute();
      return rows.map((r) => ({
        userId: r.id,
        email: r.email,
        name: r.name,
        role: r.role as Role,
        createdAt: r.created_at,
      }));
    },

    async adoptOrphanProjects(workspaceId) {
      const r = await db
        .updateTable('projects')
        .set({ workspace_id: workspaceId })
        .where('workspace_id', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
