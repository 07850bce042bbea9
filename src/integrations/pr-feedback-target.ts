import { AppError } from '../domain/errors.ts';
import { parseRepository, type RepoRef } from './github.ts';
import { parseGitLabProject } from './gitlab.ts';

// Where a run's pull-request feedback goes, built from a trigger's git fields and checked at the
// edge so a pipeline learns of a bad repository name at once (400), not after its run.

export interface GitHubTarget {
  provider: 'github';
  repo: RepoRef;
  prNumber: number | null;
  commitSha: string | null;
  /** Request-scoped; held in memory for the run's lifetime only, never stored or logged. */
  token: string;
  /** Also create a check run (needs checks: write; a 403 is noted and ignored). */
  checks: boolean;
}

export interface GitLabTarget {
  provider: 'gitlab';
  /** Numeric project id or `group/project` path. */
  project: string;
  mrIid: number | null;
  commitSha: string | null;
  token: string;
}

export type FeedbackTarget = GitHubTarget | GitLabTarget;

/** The token-bearing git fields any trigger shape may carry, in Greenlight's names. */
export interface FeedbackFields {
  provider?: 'github' | 'gitlab';
  repository?: string;
  /** GitLab only: the project id (number or path); `repository` is used when absent. */
  projectId?: string | number;
  prNumber?: number;
  mrIid?: number;
  commitSha?: string;
  githubToken?: string;
  gitlabToken?: string;
  checks?: boolean;
}

const shaPattern = /^[0-9a-fA-F]{7,64}$/;

const invalid = (field: string, message: string): AppError =>
  new AppError('validation_failed', message, { field });

/**
 * The feedback target of a trigger, or null when it carries no forge token. Throws
 * validation_failed naming the field when a token comes without what it needs.
 * `names` maps Greenlight's field names to the caller's (e.g. AegisRunner's `githubRepo`).
 */
export function feedbackTargetOf(
  f: FeedbackFields,
  names: Partial<Record<keyof FeedbackFields, string>> = {},
): FeedbackTarget | null {
  const name = (k: keyof FeedbackFields): string => names[k] ?? k;
  const provider = f.provider ?? (f.gitlabToken !== undefined ? 'gitlab' : 'github');
  if (provider === 'github' && f.gitlabToken !== undefined) {
    throw invalid(name('gitlabToken'), `${name('gitlabToken')} needs provider "gitlab"`);
  }
  if (provider === 'gitlab' && f.githubToken !== undefined) {
    throw invalid(name('githubToken'), `${name('githubToken')} is for GitHub; use gitlabToken`);
  }
  const token = provider === 'github' ? f.githubToken : f.gitlabToken;
  if (token === undefined) return null;
  const tokenField = provider === 'github' ? name('githubToken') : name('gitlabToken');
  if (token.trim() === '' || /\s/.test(token.trim())) {
    throw invalid(tokenField, `${tokenField} must be a token without spaces`);
  }
  if (f.commitSha !== undefined && !shaPattern.test(f.commitSha)) {
    throw invalid(name('commitSha'), `${name('commitSha')} must be a hex commit SHA`);
  }
  const commitSha = f.commitSha ?? null;

  if (provider === 'github') {
    if (f.repository === undefined) {
      throw invalid(name('repository'), `${tokenField} needs ${name('repository')} (owner/name)`);
    }
    const repo = parseRepository(f.repository);
    if (!repo) {
      throw invalid(name('repository'), `${name('repository')} must be "owner/name"`);
    }
    const prNumber = f.prNumber ?? null;
    if (prNumber === null && commitSha === null) {
      throw invalid(
        name('prNumber'),
        `${tokenField} needs ${name('prNumber')} (for the PR comment) or ${name('commitSha')} (for the commit status)`,
      );
    }
    return { provider, repo, prNumber, commitSha, token: token.trim(), checks: f.checks === true };
  }

  const ref = f.projectId !== undefined ? String(f.projectId) : f.repository;
  if (ref === undefined) {
    throw invalid(name('projectId'), `${tokenField} needs projectId (or repository)`);
  }
  const project = parseGitLabProject(ref);
  if (!project) {
    throw invalid(name('projectId'), 'projectId must be a number or a "group/project" path');
  }
  const mrIid = f.mrIid ?? f.prNumber ?? null;
  if (mrIid === null && commitSha === null) {
    throw invalid(
      name('mrIid'),
      `${tokenField} needs mrIid (for the MR note) or ${name('commitSha')} (for the commit status)`,
    );
  }
  return { provider, project, mrIid, commitSha, token: token.trim() };
}

/** A trigger body without its forge tokens: what is hashed for Idempotency-Key replays. */
export function withoutTokens<T>(body: T): T {
  if (typeof body !== 'object' || body === null) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  delete copy.githubToken;
  delete copy.gitlabToken;
  if (typeof copy.git === 'object' && copy.git !== null) {
    const git = { ...(copy.git as Record<string, unknown>) };
    delete git.githubToken;
    delete git.gitlabToken;
    copy.git = git;
  }
  return copy as T;
}
