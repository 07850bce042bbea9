import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * A `readArtifact` for the HTML report that reads artifact paths (relative to the data dir) and
 * refuses anything resolving outside it. The only file access of the report layer: the
 * renderers themselves stay pure and get bytes from this.
 */
export function artifactReader(
  dataDir: string,
  maxBytes = 5 * 1024 * 1024,
): (path: string) => Buffer | undefined {
  const root = resolve(dataDir);
  return (path) => {
    const full = resolve(root, path);
    const rel = relative(root, full);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    try {
      const st = statSync(full);
      if (!st.isFile() || st.size > maxBytes) return undefined;
      return readFileSync(full);
    } catch {
      return undefined;
    }
  };
}
