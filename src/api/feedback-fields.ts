import { z } from 'zod';
import type { Run } from '../domain/run.ts';
import type { GitInfo, TriggerRequest } from '../engine/trigger.ts';
import { AppError } from '../domain/errors.ts';
import { feedbackTargetOf, type FeedbackFields } from '../integrations/pr-feedback-target.ts';
import type { ApiDeps } from './app.ts';
import { defined } from '../domain/defined.ts';

// The PR-feedback fields of a trigger's `git` object (Sentri shape) and their translation into
// the trigger core's terms. The tokens go to the feedback target only: never into GitInfo
// (stored with the run) nor into the body hashed for Idempotency-Key replays.

export const feedbackGitFields = {
  provider: z
    .enum(['github', 'gitlab'])
    .optional()
    .describe('Where the PR/MR lives (default github; gitlab when gitlabToken is sent)'),
  projectId: z
    .union([z.number().int().positive(), z.string().min(1).max(300)])
    .optional()
    .describe('GitLab project id or path (default: repository)'),
  mrIid: z.number().int().positive().optional().describe('GitLab merge request IID'),
  githubToken: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .describe('GitHub token for the commit status and PR comment; request-scoped, never stored'),
  gitlabToken: z
    .string()
    .min(1)
    .max(2000)
    .optional()
    .describe('GitLab token (api scope) for the commit status and MR note; never stored'),
  checks: z
    .boolean()
    .optional()
    .describe('GitHub: also create a check run (needs checks: write; a 403 is noted, ignored)'),
};

interface GitFields {
  repository?: string;
  ref?: string;
  commitSha?: string;
  prNumber?: number;
  projectId?: string | number;
  mrIid?: number;
}

/** The git metadata recorded with the run: a GitLab MR counts as the PR, its project as repo. */
export function gitInfoOf(git: GitFields | undefined): GitInfo | undefined {
  if (!git) return undefined;
  const repository =
    git.repository ?? (git.projectId !== undefined ? String(git.projectId) : undefined);
  const prNumber = git.prNumber ?? git.mrIid;
  return defined({ repository, ref: git.ref, commitSha: git.commitSha, prNumber });
}

/**
 * The trigger request's `feedback` part, spread into it (nothing when no token was sent). A
 * token sent to a server without PR feedback is refused by name before its fields are checked.
 */
export function feedbackOf(
  deps: ApiDeps,
  fields: FeedbackFields | undefined,
  runUrl: (run: Run) => string,
  names: Partial<Record<keyof FeedbackFields, string>> = {},
): Pick<TriggerRequest, 'feedback'> {
  if (!fields) return {};
  const token =
    fields.githubToken !== undefined
      ? 'githubToken'
      : fields.gitlabToken !== undefined
        ? 'gitlabToken'
        : null;
  if (token === null) return {};
  if (!deps.feedback) {
    throw new AppError('unsupported_field', 'pull-request feedback is not enabled on this server', {
      field: token,
    });
  }
  const target = feedbackTargetOf(fields, names);
  return target ? { feedback: { target, runUrl } } : {};
}
