// Cut GitHub's REST OpenAPI description down to the operations Greenlight calls, so the fake
// GitHub server (test/fakes/github-server.ts) validates against the official schemas without a
// 385 MB devDependency in every install.
//
// Usage: node scripts/extract-github-spec.ts <path to api.github.com.json> [out.json]
// The source is `generated/api.github.com.json` of the npm package @octokit/openapi; install it
// in a scratch folder (`cd "$(mktemp -d)" && npm install @octokit/openapi`), not in the project.
// Re-run when GitHubClient (src/integrations/github.ts) calls another endpoint: add it below.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';

/** The operations GitHubClient sends and the fake implements: [method, path template]. */
const OPERATIONS: ReadonlyArray<readonly [string, string]> = [
  ['post', '/repos/{owner}/{repo}/statuses/{sha}'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['post', '/repos/{owner}/{repo}/check-runs'],
];

/** Above this the file is written on one line; pretty-printed it is easier to review in a diff. */
const PRETTY_LIMIT = 300_000;
/** The fake loads the whole file at start-up and it lives in git: keep it small. */
const HARD_LIMIT = 1_000_000;

type JsonObject = { [key: string]: unknown };

const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(message: string): never {
  process.stderr.write(`extract-github-spec: ${message}\n`);
  process.exit(1);
}

/** Every `$ref` string anywhere inside `node`. */
function refsIn(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) refsIn(item, out);
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.add(value);
      else refsIn(value, out);
    }
  }
  return out;
}

/** `#/components/<kind>/<name>` → [kind, name]; JSON Pointer escapes undone. */
function parseRef(ref: string): [string, string] {
  const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
  if (!m) fail(`unsupported $ref ${ref} (only #/components/<kind>/<name> is followed)`);
  const unescape = (s: string): string => s.replaceAll('~1', '/').replaceAll('~0', '~');
  return [unescape(m[1]!), unescape(m[2]!)];
}

/** Copy `components` entries reachable from `roots`, following $refs transitively. */
function reachableComponents(doc: JsonObject, roots: unknown[]): Record<string, JsonObject> {
  const components = isObject(doc.components) ? doc.components : {};
  const picked: Record<string, JsonObject> = {};
  const seen = new Set<string>();
  const queue = [...refsIn(roots)];
  while (queue.length > 0) {
    const ref = queue.pop()!;
    if (seen.has(ref)) continue;
    seen.add(ref);
    const [kind, name] = parseRef(ref);
    const group = components[kind];
    const target = isObject(group) ? group[name] : undefined;
    if (target === undefined) fail(`dangling $ref ${ref}`);
    picked[kind] ??= {};
    picked[kind][name] = target;
    for (const next of refsIn(target)) if (!seen.has(next)) queue.push(next);
  }
  // Sorted keys keep the file stable between runs, so a re-extraction diffs cleanly.
  const sorted: Record<string, JsonObject> = {};
  for (const kind of Object.keys(picked).sort()) {
    const group = picked[kind]!;
    sorted[kind] = Object.fromEntries(
      Object.keys(group)
        .sort()
        .map((k) => [k, group[k]]),
    );
  }
  return sorted;
}

/** Name and version of the npm package the spec file sits in, if it sits in one. */
function sourcePackage(specFile: string): string {
  let dir = dirname(resolve(specFile));
  for (let i = 0; i < 4; i++) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (isObject(pkg) && typeof pkg.name === 'string' && typeof pkg.version === 'string') {
        return `${pkg.name}@${pkg.version}`;
      }
    } catch {
      // no package.json at this level: look one folder up
    }
    dir = dirname(dir);
  }
  return 'unknown package';
}

async function main(argv: string[]): Promise<void> {
  const [specFile, outArg] = argv;
  if (!specFile) fail('usage: node scripts/extract-github-spec.ts <api.github.com.json> [out]');
  const out = outArg ?? join(import.meta.dirname, '..', 'test/fakes/github-openapi-subset.json');
  const doc: unknown = JSON.parse(readFileSync(specFile, 'utf8'));
  if (!isObject(doc) || !isObject(doc.paths) || !isObject(doc.info)) {
    fail(`${specFile} is not an OpenAPI document`);
  }

  const paths: Record<string, JsonObject> = {};
  for (const [method, template] of OPERATIONS) {
    const item = doc.paths[template];
    const op = isObject(item) ? item[method] : undefined;
    if (!isObject(item) || !isObject(op)) fail(`${method.toUpperCase()} ${template} not in spec`);
    paths[template] ??= item.parameters === undefined ? {} : { parameters: item.parameters };
    paths[template][method] = op;
  }

  const source = sourcePackage(specFile);
  const subset = {
    openapi: doc.openapi,
    info: {
      ...doc.info,
      'x-greenlight-subset':
        `Generated by scripts/extract-github-spec.ts from ${source} (generated/api.github.com.json): ` +
        'only the operations Greenlight calls and the components they reference. Do not edit by hand.',
    },
    paths,
    components: reachableComponents(doc, Object.values(paths)),
  };

  const compact = JSON.stringify(subset);
  // Formatted with the project's Prettier settings so `prettier --check .` passes as written.
  const text =
    compact.length <= PRETTY_LIMIT
      ? await format(compact, { ...(await resolveConfig(out)), parser: 'json' })
      : `${compact}\n`;
  const bytes = Buffer.byteLength(text);
  if (bytes > HARD_LIMIT) fail(`subset is ${bytes} bytes, over ${HARD_LIMIT}`);
  writeFileSync(out, text);
  const counts = Object.entries(subset.components)
    .map(([kind, group]) => `${Object.keys(group).length} ${kind}`)
    .join(', ');
  process.stdout.write(
    `wrote ${out}: ${OPERATIONS.length} operations, ${counts}; ${bytes} bytes (${source})\n`,
  );
}

await main(process.argv.slice(2));
