import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TestValidationError } from '../../domain/test-definition.ts';
import { parseTestFile } from '../../domain/test-file.ts';
import type { RouteOptions } from '../app.ts';
import { requireUser } from '../auth.ts';
import { errorResponses } from '../errors.ts';
import { defined } from '../../domain/defined.ts';

const issueDto = z.object({
  message: z.string(),
  testIndex: z.number().int().optional().describe('Index of the test in the file'),
  step: z.number().int().optional().describe('0-based index of the step'),
  path: z.string().describe('Dotted path inside the test or the step, e.g. click.role'),
  at: z
    .array(z.union([z.string(), z.number().int()]))
    .describe("Path from the test's root, e.g. ['steps', 2, 'click', 'role']"),
});

/**
 * Check a test file without storing it, with the server's own parser: what the dashboard's editor
 * underlines, and what a pre-commit hook can ask before `greenlight import`.
 */
export const testValidateRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app) => {
  app.post(
    '/tests/validate',
    {
      // Stores nothing: any key that can read may ask.
      config: { scope: 'runs:read' },
      schema: {
        tags: ['tests'],
        summary: 'Validate a test file (YAML or JSON) without storing it',
        body: z.strictObject({
          content: z.string().describe('The file as written'),
          format: z.enum(['yaml', 'json']).default('yaml'),
        }),
        response: {
          200: z.object({
            valid: z.boolean(),
            tests: z.number().int().describe('Tests in the file when valid'),
            issues: z.array(issueDto),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      requireUser(req, 'viewer');
      const file = req.body.format === 'json' ? 'test.json' : 'test.yaml';
      try {
        const tests = parseTestFile(req.body.content, file);
        return { valid: true, tests: tests.length, issues: [] };
      } catch (e) {
        if (!(e instanceof TestValidationError)) throw e;
        return {
          valid: false,
          tests: 0,
          issues: e.issues.map((i) => ({
            message: i.message,
            ...defined({ testIndex: i.testIndex, step: i.step }),
            path: i.path,
            at: [
              ...(i.step !== undefined ? ['steps', i.step] : []),
              ...(i.path ? i.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : []),
            ],
          })),
        };
      }
    },
  );
};
