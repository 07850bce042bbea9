/** `{{NAME}}` references; names are letters, digits and `_` (spaces inside braces allowed). */
const refPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export class UnknownVariableError extends Error {
  readonly variable: string;
  constructor(variable: string) {
    super(`unknown variable {{${variable}}}`);
    this.variable = variable;
    this.name = 'UnknownVariableError';
  }
}

/** Replace `{{NAME}}` in text; an unknown name is an error, never a silent empty string. */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(refPattern, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new UnknownVariableError(name);
    return v;
  });
}

/** Substitute in every string inside a JSON-like value (step objects, request bodies). */
export function substituteDeep<T>(value: T, vars: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') return substitute(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, vars)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteDeep(v, vars);
    return out as T;
  }
  return value;
}

// Masking lives in its own module; these names stay importable from here.
export { MASK, makeMasker, maskDeep } from './secret-masker.ts';
