import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  purgeItem,
  recycleBinKinds,
  restoreItem,
  retentionDays,
  type RecycleBinKind,
} from '../../engine/recycle-bin.ts';
import { recycleBinSettingValue } from '../../domain/workspace-settings.ts';
import type { Principal } from '../../domain/principal.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';

/** Most items of each kind one listing returns (Sentri caps its bin at 200 per type too). */
const LIST_LIMIT = 200;

const deletedProjectDto = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    deletedAt: z.string(),
    deletedBy: z.string().nullable(),
    tests: z.number().int().describe('Its tests, purged with it'),
    runs: z.number().int().describe('Its runs and their artifacts, purged with it'),
    purgeAt: z.string().describe('When the cleanup purges it'),
  })
  .meta({ id: 'DeletedProject' });

const deletedTestDto = z
  .object({
    id: z.string(),
    projectId: z.string(),
    projectSlug: z.string(),
    projectName: z.string(),
    projectDeleted: z.boolean().describe('True while its project is deleted: restore that first'),
    key: z.string().nullable(),
    name: z.string(),
    suite: z.string().nullable(),
    status: z.string(),
    deletedAt: z.string(),
    deletedBy: z.string().nullable(),
    purgeAt: z.string(),
  })
  .meta({ id: 'DeletedTest' });

const binDto = z
  .object({
    projects: z.array(deletedProjectDto),
    tests: z.array(deletedTestDto),
    retentionDays: z.number().int().describe('Days an item stays before the cleanup purges it'),
  })
  .meta({ id: 'RecycleBin' });

const itemParams = z.object({ kind: z.enum(recycleBinKinds), id: z.string().min(1).max(100) });
const okDto = z.object({ ok: z.literal(true) });
const settingDto = z.object({ retentionDays: z.number().int() });
const tags = ['recycle bin'];

const DAY_MS = 86_400_000;
const purgeAt = (deletedAt: string, days: number): string =>
  new Date(Date.parse(deletedAt) + days * DAY_MS).toISOString();

/** Restoring a test is an editor's undo; a project, and purging anything, an admin's. */
function requireFor(
  req: FastifyRequest,
  action: 'restore' | 'purge',
  kind: RecycleBinKind,
): Principal & { kind: 'user' } {
  return action === 'restore' && kind === 'test'
    ? requireUser(req, 'editor', 'tests:write')
    : requireUser(req, 'admin', 'admin');
}

/**
 * The recycle bin: deleted projects and tests of the caller's workspace, restore and purge; and
 * Sentri's paths for the same (`POST /restore/:type/:id`, `DELETE /purge/:type/:id`).
 */
export const recycleBinRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const { store, config, engine } = deps;
  const binDeps = {
    store,
    artifactStore: engine.artifactStore,
    dataDir: config.dataDir,
    clock: () => new Date(),
  };

  app.get(
    '/recycle-bin',
    {
      config: { scope: 'runs:read' },
      schema: {
        tags,
        summary: 'Deleted projects and tests of the workspace, newest first (200 of each at most)',
        response: { 200: binDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'editor', 'runs:read');
      const days = await retentionDays(store, p.workspaceId);
      const { projects, tests } = await store.recycleBin.list(p.workspaceId, LIST_LIMIT);
      return {
        projects: projects.map(({ workspaceId: _, ...d }) => ({
          ...d,
          purgeAt: purgeAt(d.deletedAt, days),
        })),
        tests: tests.map(({ workspaceId: _, ...d }) => ({
          ...d,
          purgeAt: purgeAt(d.deletedAt, days),
        })),
        retentionDays: days,
      };
    },
  );

  const restore = async (req: FastifyRequest, kind: RecycleBinKind, id: string) => {
    const p = requireFor(req, 'restore', kind);
    await restoreItem(store, p.workspaceId, kind, id);
    return { ok: true as const };
  };
  const purge = async (req: FastifyRequest, kind: RecycleBinKind, id: string) => {
    const p = requireFor(req, 'purge', kind);
    await purgeItem({ ...binDeps, logger: req.log }, p.workspaceId, kind, id);
    return { ok: true as const };
  };

  const restoreSchema = {
    tags,
    summary:
      'Restore a deleted project (with its tests) or test; 409 when its project is deleted or its slug/key was taken',
    params: itemParams,
    response: { 200: okDto, ...errorResponses(400, 401, 403, 404, 409) },
  };
  const purgeSchema = {
    tags,
    summary: 'Delete a project (with its tests, runs, artifacts) or a test for good',
    params: itemParams,
    response: { 200: okDto, ...errorResponses(400, 401, 403, 404) },
  };
  // The scope a key needs is decided per kind in the handler; the hook asks for no more.
  app.post(
    '/recycle-bin/:kind/:id/restore',
    { config: { scope: 'tests:write' }, schema: restoreSchema },
    (req) => restore(req, req.params.kind, req.params.id),
  );
  app.delete(
    '/recycle-bin/:kind/:id/purge',
    { config: { scope: 'admin' }, schema: purgeSchema },
    (req) => purge(req, req.params.kind, req.params.id),
  );
  // Sentri's documented paths (seed 001, Settings → recycle bin).
  const sentriParams = z.object({ type: z.enum(recycleBinKinds), id: z.string().min(1).max(100) });
  app.post(
    '/restore/:type/:id',
    { config: { scope: 'tests:write' }, schema: { ...restoreSchema, params: sentriParams } },
    (req) => restore(req, req.params.type, req.params.id),
  );
  app.delete(
    '/purge/:type/:id',
    { config: { scope: 'admin' }, schema: { ...purgeSchema, params: sentriParams } },
    (req) => purge(req, req.params.type, req.params.id),
  );

  app.get(
    '/settings/recycle-bin',
    {
      config: { scope: 'runs:read' },
      schema: {
        tags,
        summary: 'How many days deleted items stay in the recycle bin (default 30)',
        response: { 200: settingDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'editor', 'runs:read');
      return { retentionDays: await retentionDays(store, p.workspaceId) };
    },
  );

  app.put(
    '/settings/recycle-bin',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Set how many days deleted items stay before the cleanup purges them (1–3650)',
        body: z.strictObject(recycleBinSettingValue.shape),
        response: { 200: settingDto, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      const s = await store.workspaceSettings.set(p.workspaceId, 'recycle_bin', req.body, {
        by: p.email,
      });
      return { retentionDays: s.value.retentionDays };
    },
  );
};
