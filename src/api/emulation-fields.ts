import { z } from 'zod';
import { checkBrowserName } from '../engine/run-capabilities.ts';
import {
  browserNames,
  defaultRunOptions,
  networkPresets,
  runOptionsInputShape,
  type RunOptionsInput,
} from '../domain/run-options.ts';
import { defined } from '../domain/defined.ts';
import { describeChoices } from '../domain/option-text.ts';

/**
 * Request fields that choose the browser a run's tests see, shared by POST /runs and the
 * trigger. Installation, device names and time zones are checked when the run is created.
 */
export const emulationFields = {
  // Free text, not the domain's enum: checkBrowserName takes `Chromium` or ` webkit` too and
  // refuses an unknown name as it refuses one not installed (400 unsupported_field, by name).
  browser: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe(
      `${describeChoices(browserNames, defaultRunOptions.browser)}; refused when not installed on the server`,
    ),
  device: runOptionsInputShape.device.describe(
    'desktop (default), mobile (Pixel 7), tablet (Galaxy Tab S4), or a Playwright device name such as "iPhone 13"',
  ),
  viewport: runOptionsInputShape.viewport.describe("{ width, height }: wins over the device's"),
  locale: runOptionsInputShape.locale.describe('BCP 47 locale, e.g. de-DE'),
  timezone: runOptionsInputShape.timezone,
  network: runOptionsInputShape.network.describe(
    `${describeChoices(networkPresets)} (throttling needs Chromium; offline works everywhere)`,
  ),
};

interface EmulationBody {
  browser?: string;
  device?: string;
  viewport?: RunOptionsInput['viewport'];
  locale?: string;
  timezone?: string;
  network?: RunOptionsInput['network'];
}

/** The run options of the emulation fields; an unknown or missing browser is refused here. */
export function emulationOptionsOf(b: EmulationBody): RunOptionsInput {
  return {
    ...(b.browser !== undefined ? { browser: checkBrowserName(b.browser) } : {}),
    ...defined({
      device: b.device,
      viewport: b.viewport,
      locale: b.locale,
      timezone: b.timezone,
      network: b.network,
    }),
  };
}
