import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '../domain/errors.ts';

const run = promisify(execFile);

/** A ref as given by a caller; refused when it could be read as a git option. */
function checkRef(ref: string): string {
  if (!/^[A-Za-z0-9._/@^~{}-]{1,200}$/.test(ref) || ref.startsWith('-')) {
    throw new AppError('validation_failed', `base ref is not a plain git ref: ${ref}`);
  }
  return ref;
}

/** The commit a base ref names in the repository at `root`; a clear error when there is none. */
export async function resolveBase(root: string, ref: string): Promise<string> {
  const plain = checkRef(ref);
  try {
    const { stdout } = await run('git', [
      '-C',
      root,
      'rev-parse',
      '--verify',
      '--quiet',
      `${plain}^{commit}`,
    ]);
    return stdout.trim();
  } catch {
    throw new AppError(
      'validation_failed',
      `base ref ${ref} is not a commit of the repository at ${root}`,
    );
  }
}

/**
 * The content of each path at the base commit (git is the source of truth for "the base branch");
 * a path the base does not have is left out — everything found in it is new.
 */
export async function filesAtBase(
  root: string,
  commit: string,
  paths: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of paths) {
    try {
      const { stdout } = await run('git', ['-C', root, 'cat-file', 'blob', `${commit}:${path}`], {
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      });
      out[path] = stdout;
    } catch {
      // Not in the base commit.
    }
  }
  return out;
}
