import type { Step } from '../domain/steps.ts';
import { referencedVariables } from './codegen.ts';
import { defined } from '../domain/defined.ts';

/** Versions the exported package pins, so it runs the Playwright Greenlight runs. */
export interface PackageVersions {
  /** `@playwright/test`: the version of the runner's playwright-core. */
  playwright: string;
  /** `@axe-core/playwright`, only when a spec checks accessibility. */
  axe?: string;
}

/**
 * The exported folder's package.json: `npm install` then `npm test` (or `npx playwright test`)
 * runs the specs anywhere, with no Greenlight checkout beside them. No `"type"`: Playwright
 * loads the config and specs as CommonJS, so the config's `__dirname` is defined.
 */
export function exportPackageJson(name: string, versions: PackageVersions): string {
  const devDependencies: Record<string, string> = { '@playwright/test': versions.playwright };
  if (versions.axe) devDependencies['@axe-core/playwright'] = versions.axe;
  const pkg = {
    name: `${name}-playwright`,
    private: true,
    description: 'Playwright Test specs exported from Greenlight (greenlight export).',
    scripts: { test: 'playwright test' },
    devDependencies,
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** A variable the exported specs read from the environment. */
export interface ExportedVariable {
  name: string;
  /** A secret of the environment: never written into a file, the spec skips without it. */
  secret: boolean;
  /** The value the specs fall back to (never for a secret). */
  fallback?: string;
}

/** Every variable the tests read (`{{NAME}}`), with whether it is a secret and its fallback. */
export function exportedVariables(
  tests: { steps: Step[]; variables: Record<string, string> }[],
  secretNames: string[],
): ExportedVariable[] {
  const secrets = new Set(secretNames);
  const out = new Map<string, ExportedVariable>();
  for (const t of tests) {
    for (const name of referencedVariables(t.steps)) {
      const known = out.get(name);
      const secret = secrets.has(name);
      const fallback = secret ? undefined : (t.variables[name] ?? known?.fallback);
      out.set(name, { name, secret, ...defined({ fallback }) });
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A value as one `.env` line's right-hand side (quoted when it holds spaces, quotes or #). */
function envLiteral(v: string): string {
  return /^[\w@%+=:,./-]*$/.test(v) ? v : JSON.stringify(v);
}

/**
 * `.env.example`: what the exported specs read, to copy to `.env` (playwright.config.ts loads it)
 * or to set in CI. Secrets are listed without a value.
 */
export function exportEnvExample(o: {
  project: string;
  environment: string | null;
  baseUrl: string;
  baseUrlEnv: string;
  variables: ExportedVariable[];
}): string {
  const lines = [
    `# Environment of the specs exported from Greenlight project "${o.project}"` +
      (o.environment ? ` (environment "${o.environment}").` : '.'),
    '# Copy to .env (playwright.config.ts loads it; the shell and CI variables win) and fill in.',
    '',
    '# Optional: the site under test, and the Chromium to run (defaults in playwright.config.ts)',
    `# ${o.baseUrlEnv}=${o.baseUrl}`,
    '# GREENLIGHT_CHROMIUM_PATH=/usr/bin/chromium',
  ];
  const secrets = o.variables.filter((v) => v.secret);
  const plain = o.variables.filter((v) => !v.secret);
  if (secrets.length > 0) {
    lines.push(
      '',
      '# Secrets: never written into the specs; a spec that needs one skips without it',
    );
    for (const v of secrets) lines.push(`${v.name}=`);
  }
  if (plain.length > 0) {
    lines.push('', '# Variables (the specs fall back to these values when unset)');
    for (const v of plain)
      lines.push(`${v.name}=${v.fallback === undefined ? '' : envLiteral(v.fallback)}`);
  }
  return `${lines.join('\n')}\n`;
}
