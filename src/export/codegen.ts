/** Turning step strings into TypeScript source: literals, `{{VAR}}` references, regexes. */
import { parseJsonPath } from '../domain/json-path.ts';

const refPattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Names the generated code uses itself; a variable with one of these names is renamed. */
const taken = new Set([
  'test',
  'expect',
  'page',
  'res',
  'body',
  'path',
  'asText',
  'escapeRegExp',
  'TEST_DATA_DIR',
  'consoleErrors',
]);

const reserved = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends ' +
    'false finally for function if import in instanceof new null return super switch this throw ' +
    'true try typeof var void while with yield let static implements interface package private ' +
    'protected public await async arguments eval undefined NaN Infinity process String JSON'
  ).split(' '),
);

/** Every `{{NAME}}` referenced anywhere inside a JSON-like value. */
export function referencedVariables(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string')
    for (const m of value.matchAll(refPattern)) into.add(m[1] as string);
  else if (Array.isArray(value)) for (const v of value) referencedVariables(v, into);
  else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) referencedVariables(v, into);
  }
  return into;
}

/** The JS identifier a variable is held in (its own name unless that would clash). */
export function ident(name: string): string {
  return reserved.has(name) || taken.has(name) ? `${name}_` : name;
}

/** A single-quoted string literal. */
export function quote(s: string): string {
  return `'${s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}'`;
}

/** Whether a string references any `{{VAR}}`. */
function hasRefs(s: string): boolean {
  return new RegExp(refPattern.source).test(s);
}

/** A string expression: a literal, or a template literal reading the variables it references. */
export function str(s: string): string {
  if (!hasRefs(s)) return quote(s);
  const whole = new RegExp(`^${refPattern.source}$`).exec(s);
  if (whole) return ident(whole[1] as string);
  let out = '';
  let last = 0;
  for (const m of s.matchAll(refPattern)) {
    out += escapeTemplate(s.slice(last, m.index)) + '${' + ident(m[1] as string) + '}';
    last = (m.index ?? 0) + m[0].length;
  }
  return '`' + out + escapeTemplate(s.slice(last)) + '`';
}

function escapeTemplate(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Helpers the generated file may need; each emitted once, only when used. */
export type Helper = 'asText' | 'escapeRegExp' | 'jsonEquals' | 'path' | 'axe';

/** What translating a step needs: its timeout (if not the config's) and a way to ask for helpers. */
export interface CodeContext {
  timeout: number | undefined;
  use: (h: Helper) => void;
}

/** Call arguments, the empty ones left out. */
export const args = (...xs: string[]): string => xs.filter(Boolean).join(', ');

/** The step's timeout as an option value, when it is not the config's. */
export const timeoutOpt = (c: CodeContext): string | undefined =>
  c.timeout !== undefined ? String(c.timeout) : undefined;

/** JS access for a JSON path: `$.items[0].id` → `body?.items?.[0]?.id`. */
export function accessor(path: string): string {
  return (
    'body' +
    parseJsonPath(path)
      .map((s) =>
        'index' in s
          ? s.index < 0
            ? `?.at(${s.index})`
            : `?.[${s.index}]`
          : /^[A-Za-z_$][\w$]*$/.test(s.key)
            ? `?.${s.key}`
            : `?.[${quote(s.key)}]`,
      )
      .join('')
  );
}

/**
 * A RegExp expression. `kind` says what `source` is: a pattern (`matches`), or text to find
 * (`contains`) or to equal whole (`equals`). Static patterns become literals; ones with variables
 * are built at run time, the way the runner substitutes before it compiles.
 */
export function regex(
  source: string,
  kind: 'matches' | 'contains' | 'equals',
  ignoreCase: boolean | undefined,
  use: (h: Helper) => void,
): string {
  const flags = ignoreCase ? 'i' : '';
  if (!hasRefs(source)) {
    const pattern =
      kind === 'matches'
        ? source
        : kind === 'contains'
          ? escapeRe(source)
          : `^${escapeRe(source)}$`;
    try {
      // .source escapes slashes and line breaks, so it is safe inside a literal.
      return `/${new RegExp(pattern, flags).source}/${flags}`;
    } catch {
      // Invalid: let the generated test fail the way the runner does, when the step runs.
      return `new RegExp(${quote(pattern)}${flags ? `, '${flags}'` : ''})`;
    }
  }
  const flagArg = flags ? `, '${flags}'` : '';
  if (kind === 'matches') return `new RegExp(${str(source)}${flagArg})`;
  use('escapeRegExp');
  const inner = `escapeRegExp(${str(source)})`;
  return kind === 'contains'
    ? `new RegExp(${inner}${flagArg})`
    : `new RegExp('^' + ${inner} + '$'${flagArg})`;
}

/** A JSON-like value as a TypeScript expression, strings with their variables. */
export function jsValue(v: unknown): string {
  if (typeof v === 'string') return str(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(jsValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${jsValue(x)}`,
    );
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return 'undefined';
}

/** `{ a: 1, b: 'x' }` from already-rendered values, or '' when there are none. */
export function options(entries: Record<string, string | undefined>): string {
  const parts = Object.entries(entries)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return parts.length ? `{ ${parts.join(', ')} }` : '';
}

/** Source of each helper, emitted at the top of a spec that uses it. */
export const helperSource: Record<Helper, string> = {
  path: "import path from 'node:path';",
  axe: "import AxeBuilder from '@axe-core/playwright';",
  asText: [
    '/** A captured value as a variable: strings as they are, anything else as JSON. */',
    'function asText(value: unknown): string {',
    "  return typeof value === 'string' ? value : JSON.stringify(value);",
    '}',
  ].join('\n'),
  // The runner's comparison (runner/json-values.ts): a string also equals the same number or boolean.
  jsonEquals: [
    'function jsonEquals(actual: unknown, expected: unknown): boolean {',
    "  if (typeof expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) {",
    '    return String(actual) === expected;',
    '  }',
    '  if (actual === expected) return true;',
    '  if (Array.isArray(expected)) {',
    '    return (',
    '      Array.isArray(actual) &&',
    '      actual.length === expected.length &&',
    '      expected.every((e, i) => jsonEquals(actual[i], e))',
    '    );',
    '  }',
    "  if (expected !== null && typeof expected === 'object') {",
    "    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;",
    '    const a = actual as Record<string, unknown>;',
    '    const e = expected as Record<string, unknown>;',
    '    const keys = Object.keys(e);',
    '    return (',
    '      keys.length === Object.keys(a).length &&',
    '      keys.every((k) => Object.hasOwn(a, k) && jsonEquals(a[k], e[k]))',
    '    );',
    '  }',
    '  return false;',
    '}',
  ].join('\n'),
  escapeRegExp: [
    'function escapeRegExp(text: string): string {',
    "  return text.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&');",
    '}',
  ].join('\n'),
};
