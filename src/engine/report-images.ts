import { DEFAULT_MAX_IMAGE, DEFAULT_MAX_TOTAL, embeddedImagePaths } from '../report/html.ts';
import type { ReportInput } from '../report/report-model.ts';
import type { ArtifactStore } from '../store/artifacts/artifact-store.ts';

/**
 * Read the images an HTML report embeds from the artifact store beforehand (the renderer is
 * pure and synchronous), within the report's own limits: each at most `maxImageBytes`, all
 * together at most `maxTotalImageBytes`. An image the store cannot give is left out, and the
 * page links to it instead.
 */
export async function reportImageReader(
  artifacts: ArtifactStore,
  input: ReportInput,
  limits: { maxImageBytes?: number; maxTotalImageBytes?: number } = {},
): Promise<(path: string) => Buffer | undefined> {
  const max = limits.maxImageBytes ?? DEFAULT_MAX_IMAGE;
  let left = limits.maxTotalImageBytes ?? DEFAULT_MAX_TOTAL;
  const images = new Map<string, Buffer>();
  for (const path of new Set(embeddedImagePaths(input))) {
    if (left <= 0) break;
    const bytes = await artifacts.read(path, Math.min(max, left)).catch(() => null);
    if (!bytes) continue;
    images.set(path, bytes);
    left -= bytes.length;
  }
  return (path) => images.get(path);
}
