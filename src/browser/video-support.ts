import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Whether Playwright can record video here, and if not, what is missing and how to add it. */
export interface VideoSupport {
  available: boolean;
  /** The ffmpeg build Playwright's registry expects (null: it has no idea). */
  lookedFor: string | null;
  /** The command that installs it; Greenlight never downloads at run time. */
  install: string;
}

/** The one part of playwright-core's (untyped) registry this needs. */
interface Registry {
  findExecutable(name: string): { executablePath(): string | undefined } | undefined;
}

/**
 * Chromium records video through Playwright's own ffmpeg build (not a system ffmpeg), found via
 * Playwright's registry; without it `recordVideo` fails at the first page.
 */
export function videoSupport(exists: (path: string) => boolean = existsSync): VideoSupport {
  const lookedFor = ffmpegPath();
  return {
    available: lookedFor !== null && exists(lookedFor),
    lookedFor,
    install: 'npx playwright install ffmpeg',
  };
}

function ffmpegPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    // coreBundle is an exported entry of playwright-core without type declarations.
    const bundle = require('playwright-core/lib/coreBundle') as {
      registry: { registry: Registry };
    };
    return bundle.registry.registry.findExecutable('ffmpeg')?.executablePath() ?? null;
  } catch {
    return null;
  }
}
