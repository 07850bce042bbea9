// What the first page load costs, from Vite's manifest: the entry chunk and everything it imports
// statically, gzipped. Lazy chunks (dynamic imports) are listed apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** First load must stay under this many gzipped bytes of JavaScript. */
export const FIRST_LOAD_BUDGET = 250 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  name?: string;
  src?: string;
}

export interface BundleSizes {
  firstLoad: { files: string[]; gzipBytes: number };
  lazy: { name: string; file: string; gzipBytes: number }[];
}

const gz = (dist: string, file: string): number =>
  gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;

/** Sizes of the first load and of every lazy chunk (own bytes only) in `dist`. */
export function bundleSizes(dist: string): BundleSizes {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestChunk
  >;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
  if (!entry) throw new Error('no entry chunk in the Vite manifest');
  const first = new Set<string>();
  const visit = (key: string): void => {
    const c = manifest[key];
    if (!c || first.has(c.file)) return;
    first.add(c.file);
    for (const i of c.imports ?? []) visit(i);
  };
  visit(entry[0]);
  const files = [...first].filter((f) => f.endsWith('.js'));
  const lazy = Object.entries(manifest)
    .filter(([, c]) => c.file.endsWith('.js') && !first.has(c.file))
    .map(([key, c]) => ({
      name: c.src ?? c.name ?? key,
      file: c.file,
      gzipBytes: gz(dist, c.file),
    }))
    .sort((a, b) => b.gzipBytes - a.gzipBytes);
  return {
    firstLoad: { files, gzipBytes: files.reduce((n, f) => n + gz(dist, f), 0) },
    lazy,
  };
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
