import { describe, expect, it } from 'vitest';
import { compileRule, scanSource } from '../../src/scan/compile.ts';
import { shippedPacks } from '../../src/scan/shipped-packs.ts';
import { languageOf, SourceFile } from '../../src/scan/source-file.ts';
import { ruleFixtures, type RuleFixture } from '../fixtures/scan/rule-fixtures.ts';

const rules = shippedPacks().flatMap((p) => p.rules);

function findingsOf(ruleId: string, f: RuleFixture) {
  const rule = rules.find((r) => r.id === ruleId)!;
  return scanSource([compileRule(rule)], new SourceFile(f.path, f.content, languageOf(f.path)));
}

describe('shipped rules', () => {
  it('every shipped rule has a true-positive and a false-positive fixture', () => {
    expect(rules.map((r) => r.id).sort()).toEqual(Object.keys(ruleFixtures).sort());
  });

  for (const rule of rules) {
    describe(rule.id, () => {
      it('reports its true positive', () => {
        const found = findingsOf(rule.id, ruleFixtures[rule.id]!.tp);
        expect(found.length).toBeGreaterThan(0);
        expect(found[0]).toMatchObject({ ruleId: rule.id, severity: rule.severity });
      });
      it('stays quiet on its false positive', () => {
        expect(findingsOf(rule.id, ruleFixtures[rule.id]!.fp)).toEqual([]);
      });
    });
  }

  it('masks secrets in snippets', () => {
    const fx = ruleFixtures['GL-SEC-AWS-ACCESS-KEY']!.tp;
    const [f] = findingsOf('GL-SEC-AWS-ACCESS-KEY', fx);
    const key = /AKIA\w+/.exec(fx.content)![0];
    expect(f!.snippet).not.toContain(key);
    expect(f!.snippet).toContain('AKIA****');
  });
});
