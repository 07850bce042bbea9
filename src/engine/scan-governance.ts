import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { roles } from '../domain/principal.ts';

/** Who may approve an exception to a failed gate, and for how long an approval holds. */
export const governanceSchema = z
  .strictObject({
    approverRole: z.enum(roles).default('admin').describe('Least role that may approve or reject'),
    approvalTtlHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(168)
      .describe('How long an approval covers its findings'),
    requestApprovals: z.boolean().default(true).describe('A failed gate opens an approval request'),
  })
  .meta({ id: 'ScanGovernance' });
export type Governance = z.output<typeof governanceSchema>;

export function governanceOf(raw: unknown): Governance {
  const r = governanceSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AppError(
      'validation_failed',
      `governance: ${i?.path.join('.')}: ${i?.message}`,
      r.error.issues,
    );
  }
  return r.data;
}
