// Build the dashboard into dist/, then print what the first load and each lazy chunk weigh
// (gzipped) and fail when the first load is over budget.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { bundleSizes, FIRST_LOAD_BUDGET, kb } from './bundle-size.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({ root, logLevel: 'warn' });
const dist = join(root, 'dist');
const sizes = bundleSizes(dist);
writeFileSync(join(dist, 'bundle-sizes.json'), JSON.stringify(sizes, null, 2) + '\n');
console.log(
  `[web] first load: ${kb(sizes.firstLoad.gzipBytes)} gzipped JS (budget ${kb(FIRST_LOAD_BUDGET)})`,
);
for (const c of sizes.lazy) console.log(`[web]   lazy ${kb(c.gzipBytes).padStart(9)}  ${c.name}`);
if (sizes.firstLoad.gzipBytes > FIRST_LOAD_BUDGET) {
  console.error(`[web] the first load is over its budget of ${kb(FIRST_LOAD_BUDGET)}`);
  process.exit(1);
}
