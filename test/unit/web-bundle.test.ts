import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSizes, FIRST_LOAD_BUDGET } from '../../web/scripts/bundle-size.ts';

// The dashboard's first load stays under its budget, and the heavy parts (CodeMirror, uPlot) come
// only with the pages that use them. web/dist is built by `npm ci` (the root `prepare` script).
const dist = resolve('web/dist');

describe('dashboard bundle', () => {
  it('is built', () => {
    expect(existsSync(join(dist, '.vite', 'manifest.json')), 'run npm run build -w web').toBe(true);
  });

  it(`loads at most ${FIRST_LOAD_BUDGET / 1024} KB of gzipped JavaScript first`, () => {
    const sizes = bundleSizes(dist);
    expect(sizes.firstLoad.gzipBytes).toBeGreaterThan(10 * 1024);
    expect(sizes.firstLoad.gzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET);
  });

  it('keeps CodeMirror and uPlot out of the first load', () => {
    const sizes = bundleSizes(dist);
    const first = sizes.firstLoad.files.map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    expect(first).not.toContain('cm-editor');
    expect(first).not.toContain('uplot');
    const lazy = sizes.lazy.map((c) => c.name);
    expect(lazy).toEqual(
      expect.arrayContaining(['src/editor/yaml-editor.tsx', 'src/editor/charts.tsx']),
    );
    const editor = sizes.lazy.find((c) => c.name === 'src/editor/yaml-editor.tsx')!;
    expect(readFileSync(join(dist, editor.file), 'utf8')).toContain('cm-editor');
  });
});
