import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { systemInfoReader } from '../../engine/system-info.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';

const systemDto = z
  .object({
    version: z.string(),
    nodeVersion: z.string(),
    playwrightVersion: z.string(),
    uptimeSeconds: z.number().int(),
    memoryMB: z.number().int().describe('Heap in use'),
    database: z.object({
      kind: z.enum(['sqlite', 'postgres']),
      migration: z.object({
        latest: z.string().nullable(),
        applied: z.number().int(),
        known: z.number().int().describe('Migrations this build ships'),
      }),
    }),
    queue: z.object({
      kind: z.literal('local').describe('Embedded queue, durable in the database'),
      running: z.boolean().describe("This process's worker loops run"),
      queued: z.number().int(),
      runningJobs: z.number().int(),
    }),
    browser: z.object({
      kind: z.enum(['local', 'remote']),
      path: z.string().nullable(),
      version: z.string().nullable(),
      error: z.string().nullable(),
    }),
    counts: z.object({
      projects: z.number().int(),
      tests: z.number().int(),
      approvedTests: z.number().int(),
      draftTests: z.number().int(),
      runs: z.number().int(),
    }),
    disk: z.object({
      dataDir: z.string(),
      artifactStore: z
        .string()
        .describe('Where artifacts are kept: the data folder or s3://bucket/prefix'),
      artifactsBytes: z.number().int(),
      baselinesBytes: z.number().int(),
      freeBytes: z.number().nullable(),
    }),
    // Sentri's flat fields (seed 001, GET /api/v1/system), the same numbers as above.
    projects: z.number().int(),
    tests: z.number().int(),
    runs: z.number().int(),
    approvedTests: z.number().int(),
    draftTests: z.number().int(),
    uptime: z.number().int().describe('Seconds (Sentri)'),
  })
  .meta({ id: 'SystemInfo' });

/** GET /system: versions, database, queue, browser, counts and disk use, for admins. */
export const systemRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  const read = systemInfoReader({
    store: deps.store,
    artifactStore: deps.engine.artifactStore,
    config: deps.config,
    queueRunning: () => deps.engine.running,
    startedAt: Date.now(),
  });
  app.get(
    '/system',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['system'],
        summary:
          'System info: version, database and migration level, queue, browser, counts of the workspace, disk use',
        response: { 200: systemDto, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const p = requireUser(req, 'admin', 'admin');
      const info = await read(p.workspaceId);
      return {
        ...info,
        projects: info.counts.projects,
        tests: info.counts.tests,
        runs: info.counts.runs,
        approvedTests: info.counts.approvedTests,
        draftTests: info.counts.draftTests,
        uptime: info.uptimeSeconds,
      };
    },
  );
};
