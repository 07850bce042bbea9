import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aegisTriggerBody } from '../../src/api/compat/aegis.ts';
import { certynCreateBody } from '../../src/api/compat/certyn.ts';
import { sentriTriggerBody } from '../../src/api/routes/trigger.ts';

// The README's CI/CD section is what a migrating user reads: it must name every field the three
// trigger shapes take, and must not call a field refused or unavailable that the API honours
// (it once listed Aegis' githubToken and testDataSetId, and every crawl field, as refused).

const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.slice(
  readme.indexOf('## CI/CD triggers'),
  readme.indexOf('## Accounts and tokens'),
);
const part = (from: string, to: string): string =>
  section.slice(section.indexOf(from), section.indexOf(to));

const keysOf = (schema: unknown): string[] => {
  // certyn's body is refined: its shape sits one level down.
  const s = schema as { shape?: Record<string, unknown>; def?: { schema?: { shape: object } } };
  return Object.keys(s.shape ?? s.def?.schema?.shape ?? {});
};

describe('README, CI/CD triggers', () => {
  it.each([
    ['Sentri', sentriTriggerBody, '**Sentri shape**', '**AegisRunner shape**'],
    ['AegisRunner', aegisTriggerBody, '**AegisRunner shape**', '**Certyn shape**'],
    ['Certyn', certynCreateBody, '**Certyn shape**', '\u0000'],
  ] as const)('names every field of the %s body', (_name, schema, from, to) => {
    const text = to === '\u0000' ? section.slice(section.indexOf(from)) : part(from, to);
    const keys = keysOf(schema);
    expect(keys.length).toBeGreaterThan(3);
    const named = (k: string): boolean =>
      [`\`${k}\``, `\`${k}:`, `\`${k}.`].some((m) => text.includes(m));
    const missing = keys.filter((k) => !named(k));
    expect(missing).toEqual([]);
  });

  it('calls nothing refused or unavailable that the API accepts', () => {
    const aegis = part('**AegisRunner shape**', '**Certyn shape**');
    expect(aegis).not.toMatch(/not available|Refused with/);
    for (const field of ['githubToken', 'testDataSetId', 'crawlPages', 'generateTests']) {
      expect(aegis).toContain(`\`${field}\``);
    }
    expect(aegis).toContain('`crawl: true` gives the run a **crawl phase**');
    expect(section).not.toMatch(/answer 400 `unsupported_field` for now/);
  });
});
