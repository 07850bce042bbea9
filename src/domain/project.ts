import { z } from 'zod';

/** A project: one site or app under test. */
export interface Project {
  id: string;
  slug: string;
  name: string;
  baseUrl: string;
  /** Default number of browser contexts run at once (1–16). */
  parallelWorkers: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Owning workspace; null only before the first user exists (then the default one adopts it). */
  workspaceId: string | null;
  /** Default extra attempts of a failing test in a run (0–5); a run may override it. */
  retries: number;
  /** Default: a flaky test fails the run. */
  failOnFlaky: boolean;
  /** Default: heal a locator that finds nothing from recorded alternatives (false: fail). */
  healing: boolean;
  /** The commit-status context its runs post under; null: `greenlight/<slug>`. */
  statusContext: string | null;
  /** What a trigger that names no policy does while a run of its concurrency key is going. */
  concurrencyPolicy: ConcurrencyPolicy;
}

/** The commit-status (GitHub) / pipeline-status name (GitLab) a project's runs post under. */
export const statusContextOf = (p: Pick<Project, 'slug' | 'statusContext'>): string =>
  p.statusContext ?? `greenlight/${p.slug}`;

/** reject: 409; queue: wait for the older run; supersede: cancel the older run. */
export const concurrencyPolicies = ['reject', 'queue', 'supersede'] as const;
export type ConcurrencyPolicy = (typeof concurrencyPolicies)[number];

/** A named target of a project (staging, production, a preview) with its own variables. */
export interface Environment {
  id: string;
  projectId: string;
  name: string;
  /** Overrides the project's baseUrl when set. */
  baseUrl: string | null;
  variables: Record<string, string>;
  /** Names of variables whose values are secret: masked in every log and result. */
  secretNames: string[];
  createdAt: string;
  updatedAt: string;
}

/**
 * The environment a run uses when it names none (a trigger, POST /runs, a schedule, the CLI):
 * its variables, secrets and base URL apply as if it had been named. A project without one runs
 * on the project's own base URL with no variables.
 */
export const DEFAULT_ENVIRONMENT = 'default';

export const MIN_WORKERS = 1;
export const MAX_WORKERS = 16;
/** Browser contexts a run uses at once: the bounds of projects, runs, triggers and `--workers`. */
export const parallelWorkersSchema = z.number().int().min(MIN_WORKERS).max(MAX_WORKERS);

/** Slugs are lower-case words joined by dashes, as used in URLs and the CLI. */
export const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/g, '');
  return s || 'project';
}
