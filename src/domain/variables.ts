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

export const MASK = '••••••';

/**
 * A function that replaces every secret value in a text by a mask. Longest values first so a
 * secret that contains another is masked whole; very short values (< 3 chars) are still masked
 * but only as whole words, to keep logs readable.
 */
export function makeMasker(secrets: Iterable<string>): (text: string) => string {
  const values = [...new Set([...secrets].filter((s) => s.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return (t) => t;
  const escaped = values.map((v) => {
    const e = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return v.length < 3 ? `\\b${e}\\b` : e;
  });
  const re = new RegExp(escaped.join('|'), 'g');
  // URL-encoded forms leak through query strings, so mask those as well.
  const encoded = values
    .filter((v) => encodeURIComponent(v) !== v)
    .map((v) => encodeURIComponent(v));
  return (text) => {
    let out = text.replace(re, MASK);
    for (const e of encoded) out = out.split(e).join(MASK);
    return out;
  };
}

/** Mask secrets in every string of a JSON-like value. */
export function maskDeep<T>(value: T, mask: (t: string) => string): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, mask)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, mask);
    return out as T;
  }
  return value;
}
