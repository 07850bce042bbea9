import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { AppError } from '../domain/errors.ts';
import {
  browserNames,
  defaultRunOptions,
  screenshotModes,
  type BrowserName,
  type ScreenshotMode,
} from '../domain/run-options.ts';
import { describeChoices } from '../domain/option-text.ts';
import { strategies, type Strategy } from '../domain/selection.ts';
import type { TriggerRequest } from './ci-client.ts';
import { parseRetries, retriesHelp } from './retry-flags.ts';
import { defined } from '../domain/defined.ts';

/** The `greenlight ci run` flags that reach the trigger body beyond the plain selection. */
export interface CiRunFlags {
  retries?: number;
  failOnFlaky?: boolean;
  /** false with --no-healing. */
  healing?: boolean;
  strategy?: Strategy;
  changedFile?: string[];
  changedFilesFrom?: string;
  screenshots?: ScreenshotMode;
  device?: string;
  browser?: BrowserName;
}

/** Add the execution and strategy flags of `ci run` to its command. */
export function addCiRunFlags(cmd: Command): Command {
  return cmd
    .option('--retries <n>', retriesHelp, parseRetries)
    .option('--fail-on-flaky', 'a test that passes only on a retry fails the run')
    .option('--no-healing', 'fail a step whose locator finds nothing instead of healing it')
    .addOption(
      new Option(
        '--strategy <name>',
        'narrow the tests (see README, selection strategies)',
      ).choices(strategies),
    )
    .option('--changed-file <path...>', 'strategy changed: repository paths that changed')
    .option(
      '--changed-files-from <file>',
      'strategy changed: read changed paths from a file, one a line (- for stdin), ' +
        'e.g. `git diff --name-only` output',
    )
    .addOption(
      new Option(
        '--screenshots <mode>',
        describeChoices(screenshotModes, defaultRunOptions.screenshots),
      ).choices(screenshotModes),
    )
    .option('--device <name>', 'desktop, mobile, tablet, or a Playwright device ("iPhone 13")')
    .addOption(
      new Option('--browser <name>', 'browser the server runs (must be installed there)').choices(
        browserNames,
      ),
    );
}

/** The trigger fields the flags ask for; omitted ones fall back to the project's defaults. */
export function triggerFieldsOfFlags(o: CiRunFlags): Partial<TriggerRequest> {
  const changed = [...(o.changedFile ?? []), ...changedFilesFrom(o.changedFilesFrom)];
  if (!o.strategy && (o.changedFile !== undefined || o.changedFilesFrom !== undefined)) {
    throw new AppError(
      'validation_failed',
      '--changed-file/--changed-files-from need --strategy changed',
    );
  }
  return {
    ...defined({ retries: o.retries }),
    ...(o.failOnFlaky ? { failOnFlaky: true } : {}),
    ...(o.healing === false ? { healing: false } : {}),
    ...(o.strategy ? { strategy: o.strategy } : {}),
    // Duplicates are harmless to the server but read badly in the run's recorded inputs.
    ...(changed.length > 0 ? { changedFiles: [...new Set(changed)] } : {}),
    ...(o.screenshots ? { screenshots: o.screenshots } : {}),
    ...defined({ device: o.device }),
    ...(o.browser ? { browser: o.browser } : {}),
  };
}

/** Paths of a `git diff --name-only`-style file: one a line, blank lines and CRs dropped. */
function changedFilesFrom(file: string | undefined): string[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new AppError('validation_failed', `--changed-files-from: cannot read "${file}" (${why})`);
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
