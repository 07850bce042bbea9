import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import type { ScanInputSpec } from '../engine/scan-service.ts';
import { scanConfigSchema } from '../scan/scan-config.ts';
import { defined } from '../domain/defined.ts';

const path = z.string().min(1).max(1000);

/** What to scan, as every Greenlight body spells it (scan resources and the trigger's `scan`). */
export const scanSpecFields = {
  repoPath: path
    .optional()
    .describe('A repository checkout on the server, under GREENLIGHT_SCAN_ROOTS'),
  files: z
    .record(path, z.string().max(10_000_000))
    .optional()
    .describe('Inline files: path → content'),
  archive: z
    .string()
    .max(200_000_000)
    .optional()
    .describe('Base64 of a .tar.gz, .tar or .zip of the files to scan (e.g. the changed files)'),
  changedFiles: z.array(path).max(50_000).optional().describe('Scan only these repository paths'),
  base: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Base branch: existing findings there do not count as new'),
  branch: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The branch scanned (later scans use it as a baseline)'),
  commitSha: z.string().min(4).max(64).optional(),
  config: scanConfigSchema.optional().describe('Overrides of the scan config for this scan'),
};
export const scanSpecSchema = z.strictObject(scanSpecFields).meta({ id: 'ScanSpec' });
export type ScanSpecBody = z.output<typeof scanSpecSchema>;

/** The body's scan in the engine's terms; the archive is decoded here (bad base64 is a 400). */
export function scanSpecOf(b: ScanSpecBody): ScanInputSpec {
  let archive: Buffer | undefined;
  if (b.archive !== undefined) {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b.archive)) {
      throw new AppError('validation_failed', 'archive must be base64', [
        { path: 'archive', message: 'not base64' },
      ]);
    }
    archive = Buffer.from(b.archive, 'base64');
  }
  return {
    ...defined({ repoPath: b.repoPath, files: b.files }),
    ...(archive ? { archive } : {}),
    ...(b.changedFiles ? { changedFiles: b.changedFiles } : {}),
    ...(b.base ? { base: b.base } : {}),
    ...(b.branch ? { branch: b.branch } : {}),
    ...(b.commitSha ? { commitSha: b.commitSha } : {}),
    ...(b.config ? { configOverrides: b.config } : {}),
  };
}
