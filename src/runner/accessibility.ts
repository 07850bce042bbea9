import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { accessibleOptions, failingImpacts, type AccessibleSpec } from '../domain/accessibility.ts';
import { StepFailure } from './errors.ts';
import { poll, type StepContext } from './step-context.ts';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

let axeSource: string | undefined;
/** axe-core's browser bundle from the npm package, read once. */
function axe(): string {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Inject axe-core into the page (through the protocol, so the page's CSP does not matter) and
 * check it; retried within the step timeout, as a page still rendering may fail a first look.
 */
export async function expectAccessible(ctx: StepContext, spec: AccessibleSpec): Promise<void> {
  const o = accessibleOptions(spec);
  const failing = new Set<string>(failingImpacts(o.impact));
  const check = async (): Promise<Violation[]> => {
    const loaded = await ctx.page.evaluate(() => 'axe' in window);
    if (!loaded) await ctx.page.evaluate(axe());
    return ctx.page.evaluate(async (opts) => {
      // axe is the global the injected bundle defines.
      const a = (window as unknown as { axe: AxeApi }).axe;
      const context = opts.exclude.length ? { exclude: opts.exclude.map((s) => [s]) } : document;
      const rules = Object.fromEntries(opts.disableRules.map((r) => [r, { enabled: false }]));
      const result = await a.run(context, { runOnly: { type: 'tag', values: opts.tags }, rules });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        targets: v.nodes.map((n) => n.target.join(' ')),
      }));
    }, o);
  };
  const last = await poll(ctx, check, (vs) => !vs.some((v) => failing.has(v.impact ?? '')));
  const bad = last.filter((v) => failing.has(v.impact ?? ''));
  if (bad.length === 0) return;
  const lines = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.targets.slice(0, 3).join(', ')}${v.targets.length > 3 ? ` and ${v.targets.length - 3} more` : ''}`,
  );
  throw new StepFailure(
    `${bad.length} accessibility ${bad.length === 1 ? 'violation' : 'violations'} of impact ${o.impact} or worse: ${lines.join('; ')}`,
  );
}

/** The part of axe-core's API the check uses (the bundle runs in the page). */
interface AxeApi {
  run(
    context: unknown,
    options: unknown,
  ): Promise<{
    violations: {
      id: string;
      impact?: string | null;
      help: string;
      nodes: { target: string[] }[];
    }[];
  }>;
}
