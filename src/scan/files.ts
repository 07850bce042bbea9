import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { AppError } from '../domain/errors.ts';

/** A file to scan: on disk (`absPath`) or given inline (`text`). */
export interface FileTask {
  path: string;
  absPath?: string;
  text?: string;
  size: number;
}

export type SkipReason = 'binary' | 'too_large' | 'ignored';
export interface SkippedFile {
  path: string;
  reason: SkipReason;
}

/** Never descended into, whatever the ignore files say. */
const ALWAYS_EXCLUDED = ['**/.git/**', '**/node_modules/**'];

export interface CollectOptions {
  exclude: readonly string[];
  maxFileBytes: number;
  /** Only these repository paths (a change's files); absent: the whole tree. */
  changedFiles?: readonly string[];
}

function excluder(globs: readonly string[]): (path: string) => boolean {
  const m = picomatch([...ALWAYS_EXCLUDED, ...globs], { dot: true });
  return (p) => m(p);
}

/** A repository path as given by a caller: relative, POSIX, inside the root. */
export function normalizeRepoPath(p: string): string {
  const slashed = p.replace(/\\/g, '/').replace(/^\.\//, '');
  const norm = posix.normalize(slashed);
  if (
    norm.startsWith('/') ||
    norm === '..' ||
    norm.startsWith('../') ||
    norm === '.' ||
    norm.includes('\0')
  ) {
    throw new AppError(
      'validation_failed',
      `file path must be relative and inside the repository: ${p}`,
    );
  }
  return norm;
}

interface Walk {
  files: FileTask[];
  skipped: SkippedFile[];
}

/**
 * The files of a directory tree, as repository paths: `.gitignore` files at every level are
 * honoured, `.git` and `node_modules` are never entered, symbolic links are never followed (a
 * link could point outside the repository), excludes apply, and files over the size limit are
 * listed as skipped.
 */
export async function collectFiles(root: string, opts: CollectOptions): Promise<Walk> {
  const excluded = excluder(opts.exclude);
  const out: Walk = { files: [], skipped: [] };
  if (opts.changedFiles) {
    for (const raw of opts.changedFiles) {
      const path = normalizeRepoPath(raw);
      if (excluded(path)) continue;
      const abs = join(root, path);
      const st = await stat(abs).catch(() => null);
      // A changed file that is gone was deleted by the change: nothing to scan.
      if (!st?.isFile()) continue;
      if (st.size > opts.maxFileBytes) out.skipped.push({ path, reason: 'too_large' });
      else out.files.push({ path, absPath: abs, size: st.size });
    }
    return out;
  }
  await walk(root, '', [], excluded, opts.maxFileBytes, out);
  out.files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return out;
}

interface IgnoreLayer {
  dir: string;
  ig: Ignore;
}

const ignoredBy = (layers: IgnoreLayer[], path: string, isDir: boolean): boolean =>
  layers.some((l) => {
    const rel = l.dir === '' ? path : path.slice(l.dir.length + 1);
    return l.ig.ignores(isDir ? `${rel}/` : rel);
  });

async function walk(
  root: string,
  dir: string,
  layers: IgnoreLayer[],
  excluded: (p: string) => boolean,
  maxBytes: number,
  out: Walk,
): Promise<void> {
  const abs = dir === '' ? root : join(root, dir);
  const entries = await readdir(abs, { withFileTypes: true });
  const gitignore = entries.find((e) => e.isFile() && e.name === '.gitignore');
  const here = gitignore
    ? [...layers, { dir, ig: ignore().add(await readFile(join(abs, '.gitignore'), 'utf8')) }]
    : layers;
  for (const e of entries) {
    const path = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isSymbolicLink()) continue;
    if (e.isDirectory()) {
      if (excluded(`${path}/x`) || ignoredBy(here, path, true)) continue;
      await walk(root, path, here, excluded, maxBytes, out);
    } else if (e.isFile()) {
      if (excluded(path) || ignoredBy(here, path, false)) continue;
      const st = await stat(join(root, path));
      if (st.size > maxBytes) out.skipped.push({ path, reason: 'too_large' });
      else out.files.push({ path, absPath: join(root, path), size: st.size });
    }
  }
}

/** Inline files (`{path: content}`): paths checked, excludes and the changed-file list applied. */
export function inlineFiles(files: Record<string, string>, opts: CollectOptions): Walk {
  const excluded = excluder(opts.exclude);
  const only = opts.changedFiles ? new Set(opts.changedFiles.map(normalizeRepoPath)) : null;
  const out: Walk = { files: [], skipped: [] };
  for (const [raw, text] of Object.entries(files)) {
    const path = normalizeRepoPath(raw);
    if (only && !only.has(path)) continue;
    if (excluded(path)) continue;
    const size = Buffer.byteLength(text, 'utf8');
    if (size > opts.maxFileBytes) out.skipped.push({ path, reason: 'too_large' });
    else out.files.push({ path, text, size });
  }
  out.files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return out;
}

/** A file whose first 8000 bytes hold a NUL byte is binary (git's own test). */
export const looksBinary = (bytes: Uint8Array): boolean => bytes.subarray(0, 8000).includes(0);
