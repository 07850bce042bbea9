import { AppError } from '../domain/errors.ts';
import { runOptionsInputSchema, type RunOptionsInput } from '../domain/run-options.ts';
import { checkBrowserName } from '../engine/run-capabilities.ts';
import { parseFlags } from './parse-flag.ts';

/** The `greenlight run` flags (--browser, --device, …) that choose the browser the tests see. */
export interface EmulationFlags {
  browser?: string;
  device?: string;
  viewport?: string;
  locale?: string;
  timezone?: string;
  network?: string;
}

/** The run options the flags ask for, checked by the schema POST /runs checks them with. */
export function emulationOptionsOfFlags(o: EmulationFlags): RunOptionsInput {
  const raw: Record<string, unknown> = {};
  if (o.browser !== undefined) raw.browser = checkBrowserName(o.browser);
  if (o.device !== undefined) raw.device = o.device;
  if (o.viewport !== undefined) raw.viewport = parseViewport(o.viewport);
  if (o.locale !== undefined) raw.locale = o.locale;
  if (o.timezone !== undefined) raw.timezone = o.timezone;
  if (o.network !== undefined) raw.network = o.network;
  return parseFlags(runOptionsInputSchema, raw);
}

/** `1280x720` → { width, height }; the bounds are the schema's, checked with the rest. */
function parseViewport(v: string): { width: number; height: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/i.exec(v.trim());
  if (!m) {
    throw new AppError('validation_failed', `--viewport must look like 1280x720, got "${v}"`, {
      field: 'viewport',
    });
  }
  return { width: Number(m[1]), height: Number(m[2]) };
}
