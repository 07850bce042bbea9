import type { CompletionContext, CompletionResult } from '@codemirror/autocomplete';

// Completion for the YAML step language from the served JSON Schema: the keys allowed where the
// cursor is (step actions on a new list item, locator fields inside a step, document fields at
// the top) and the values of enums (roles, statuses) and booleans. Block-style YAML, as tests are
// written; inside flow mappings ({ … }) it offers nothing.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  required?: string[];
  description?: string;
  $ref?: string;
  $defs?: Record<string, Schema>;
};

/**
 * The schema with its local `$ref`s (`#/$defs/…`, shared and recursive definitions such as a
 * locator or a `within:` block's steps) replaced by the definitions themselves. A definition is
 * resolved once and shared, so recursion ends in a cycle of objects, not an endless copy.
 */
function inlineRefs(root: Schema): Schema {
  const defs = root.$defs ?? {};
  const done = new Map<Schema, Schema>();
  const walk = (s: Schema): Schema => {
    if (s.$ref?.startsWith('#/$defs/')) {
      const target = defs[s.$ref.slice('#/$defs/'.length)];
      return target ? walk(target) : s;
    }
    const seen = done.get(s);
    if (seen) return seen;
    const out: Schema = { ...s };
    done.set(s, out);
    if (s.properties) {
      out.properties = Object.fromEntries(
        Object.entries(s.properties).map(([k, v]) => [k, walk(v)]),
      );
    }
    if (s.items) out.items = walk(s.items);
    if (s.anyOf) out.anyOf = s.anyOf.map(walk);
    if (s.oneOf) out.oneOf = s.oneOf.map(walk);
    return out;
  };
  return walk(root);
}

type Segment = string | { item: string | null };

const branches = (s: Schema | undefined): Schema[] =>
  !s ? [] : s.anyOf || s.oneOf ? [...(s.anyOf ?? []), ...(s.oneOf ?? [])].flatMap(branches) : [s];

/** Object branches of a schema, narrowed to those with `key` when given (the step's action). */
function objects(s: Schema | undefined, key?: string | null): Schema[] {
  const all = branches(s).filter((b) => b.properties);
  const narrowed = key ? all.filter((b) => b.properties?.[key]) : all;
  return narrowed.length ? narrowed : all;
}

function child(s: Schema | undefined, seg: Segment): Schema | undefined {
  if (typeof seg !== 'string') {
    const list = branches(s).find((b) => b.items);
    return list?.items;
  }
  const found = objects(s)
    .map((b) => b.properties?.[seg])
    .filter((x): x is Schema => !!x);
  return found.length === 0 ? undefined : found.length === 1 ? found[0] : { anyOf: found };
}

interface Line {
  indent: number;
  dash: boolean;
  key: string | null;
  open: boolean;
}

/** A line's key indentation (after a `- `), whether it opens an item, its key and if it opens a block. */
function lineInfo(text: string): Line | null {
  const m = /^(\s*)(- +)?(?:([A-Za-z_][\w-]*)\s*:\s*(.*))?$/.exec(text);
  if (!m || text.trim() === '' || text.trim().startsWith('#')) return null;
  const indent = (m[1] ?? '').length + (m[2]?.length ?? 0);
  return {
    indent,
    dash: !!m[2],
    key: m[3] ?? null,
    open: m[3] !== undefined && (m[4] ?? '').trim() === '',
  };
}

/**
 * Path of the mapping that holds a key at column `col` of line `n` (0-based), from the lines
 * above: each less indented `key:` that opens a block is a parent; a `- ` marks a list item, and
 * the item remembers its first key (a step's action).
 */
function pathAt(
  lines: string[],
  n: number,
  col: number,
  dash: boolean,
  firstKey: string | null,
): Segment[] {
  const path: Segment[] = [];
  let cur = col;
  let inItem = dash;
  let itemKey: string | null = firstKey;
  for (let i = n - 1; i >= 0; i--) {
    const l = lineInfo(lines[i] ?? '');
    if (!l) continue;
    if (!inItem && l.dash && l.indent === cur) {
      // A later key of a list item: this line began the item.
      inItem = true;
      itemKey = l.key;
      continue;
    }
    if (l.indent >= cur) continue;
    if (inItem) {
      path.unshift({ item: itemKey });
      inItem = false;
      itemKey = null;
      cur -= 2; // the list's dashes; its owner key is at that column or left of it
      if (!(l.key && l.open && l.indent <= cur)) continue;
    }
    if (l.key && l.open) {
      path.unshift(l.key);
      cur = l.indent;
      if (l.dash) {
        inItem = true;
        itemKey = l.key;
      }
    }
  }
  if (inItem) path.unshift({ item: itemKey });
  return path;
}

/** The completion source for a schema (the served /api/v1/schemas/test.json). */
export function schemaCompletion(served: Schema) {
  const schema = inlineRefs(served);
  return (ctx: CompletionContext): CompletionResult | null => {
    const line = ctx.state.doc.lineAt(ctx.pos);
    const before = line.text.slice(0, ctx.pos - line.from);
    if (before.includes('{') || before.includes('[')) return null;
    const lines = ctx.state.doc.toString().split('\n');
    const n = line.number - 1;
    const valueAt = /^(\s*)(- +)?([A-Za-z_][\w-]*):\s+([\w.-]*)$/.exec(before);
    if (valueAt) {
      const indent = (valueAt[1] ?? '').length + (valueAt[2]?.length ?? 0);
      const path = [...pathAt(lines, n, indent, !!valueAt[2], valueAt[3] ?? null), valueAt[3]!];
      const target = path.reduce<Schema | undefined>((s, seg) => child(s, seg), schema);
      const values = branches(target).flatMap((b) =>
        b.enum
          ? b.enum
          : b.const !== undefined
            ? [b.const]
            : b.type === 'boolean'
              ? [true, false]
              : [],
      );
      if (values.length === 0) return null;
      return {
        from: ctx.pos - (valueAt[4] ?? '').length,
        options: values.map((v) => ({ label: String(v), type: 'enum' })),
        validFor: /^[\w.-]*$/,
      };
    }
    const keyAt = /^(\s*)(- +)?([A-Za-z_][\w-]*)?$/.exec(before);
    if (!keyAt || (!ctx.explicit && !keyAt[3] && !keyAt[2])) return null;
    const dash = !!keyAt[2];
    const indent = (keyAt[1] ?? '').length + (keyAt[2]?.length ?? 0);
    const path = pathAt(lines, n, indent, dash, null);
    const holder = path.reduce<Schema | undefined>((s, seg) => child(s, seg), schema);
    const last = path.at(-1);
    const action = typeof last === 'object' ? last.item : null;
    const options = new Map<string, string | undefined>();
    for (const b of objects(holder, dash ? null : action)) {
      // On a new list item, a step begins with its action: the key each step kind requires.
      const keys =
        dash && b.required?.length ? b.required.slice(0, 1) : Object.keys(b.properties ?? {});
      for (const k of keys) if (!options.has(k)) options.set(k, b.properties?.[k]?.description);
    }
    if (options.size === 0) return null;
    return {
      from: ctx.pos - (keyAt[3] ?? '').length,
      options: [...options].map(([label, info]) => ({
        label,
        type: 'property',
        apply: `${label}: `,
        ...(info ? { info } : {}),
      })),
      validFor: /^[\w-]*$/,
    };
  };
}
