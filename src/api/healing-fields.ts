import { runOptionsInputShape, type RunOptionsInput } from '../domain/run-options.ts';

/** The self-healing request field, shared by POST /runs and the trigger. */
export const healingFields = {
  healing: runOptionsInputShape.healing.describe(
    'Heal a locator that finds nothing from alternatives recorded by earlier passing runs ' +
      '(default true); false: such a step fails',
  ),
};

/** The run option of the healing field, when given. */
export function healingOptionsOf(b: { healing?: boolean }): RunOptionsInput {
  return b.healing !== undefined ? { healing: b.healing } : {};
}
