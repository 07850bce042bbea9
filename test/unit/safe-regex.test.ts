import { describe, expect, it } from 'vitest';
import { regexProblem } from '../../src/domain/safe-regex.ts';
import { parseTestDocument, TestValidationError } from '../../src/domain/test-definition.ts';
import { matchesText } from '../../src/runner/text-match.ts';

describe('regular expressions in tests', () => {
  it('accepts ordinary patterns and refuses invalid, look-around and back-reference ones', () => {
    expect(regexProblem('^Order #\\d+ (paid|sent)$')).toBeNull();
    expect(regexProblem('(?<year>\\d{4})-\\d{2}')).toBeNull();
    expect(regexProblem('(')).toMatch(/invalid regular expression/);
    expect(regexProblem('^(?!.*error).*$')).toMatch(/look-around/);
    expect(regexProblem('(?<=\\$)\\d+')).toMatch(/look-around/);
    expect(regexProblem('(a)\\1')).toMatch(/back-reference/);
  });

  it('refuses a bad pattern when the test is saved, naming the step', () => {
    const doc = {
      name: 'bad regex',
      steps: [{ goto: '/' }, { expect: { text: { locator: 'h1', matches: '(' } } }],
    };
    expect(() => parseTestDocument(doc)).toThrow(TestValidationError);
    try {
      parseTestDocument(doc);
    } catch (e) {
      expect((e as TestValidationError).issues[0]).toMatchObject({
        step: 1,
        path: 'expect.text.matches',
        message: expect.stringMatching(/invalid regular expression/),
      });
    }
  });

  it('matches with a linear-time engine: a ReDoS pattern on a long text answers at once', () => {
    // (a+)+$ backtracks exponentially in JavaScript's engine on "aaaa…!"; RE2 does not.
    const text = `${'a'.repeat(5_000)}!`;
    expect(matchesText(text, { matches: '^(a+)+$' })).toBe(false);
    expect(matchesText('Total: 42', { matches: 'total: \\d+', ignoreCase: true })).toBe(true);
  });
});
