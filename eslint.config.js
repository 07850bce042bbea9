// Lint rules, including the direction of imports between layers (DESIGN.md): a machine checks
// it, as Playwright does with its DEPS.list files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each layer may import (besides itself), as Playwright's DEPS.list files say it: anything
 * not listed is refused. `cli` is the composition root and may import everything.
 */
const allowed = {
  domain: [],
  store: ['domain', 'config'],
  queue: ['domain', 'store', 'config'],
  events: ['domain'],
  browser: ['domain', 'config'],
  runner: ['domain', 'browser', 'config'],
  export: ['domain'],
  report: ['domain'],
  demo: ['domain'],
  scan: ['domain', 'config'],
  auth: ['domain', 'store', 'config'],
  integrations: ['domain', 'store', 'events', 'report', 'config'],
  crawl: ['domain', 'store', 'browser', 'integrations', 'config'],
  engine: [
    'domain',
    'store',
    'queue',
    'events',
    'browser',
    'runner',
    'export',
    'report',
    'crawl',
    'integrations',
    'scan',
    'config',
  ],
  api: [
    'domain',
    'store',
    'queue',
    'events',
    'engine',
    'export',
    'report',
    'demo',
    'crawl',
    'integrations',
    'auth',
    'scan',
    'config',
  ],
};
const layers = [...Object.keys(allowed), 'cli', 'config'];
const forbidden = Object.fromEntries(
  Object.entries(allowed).map(([layer, ok]) => [
    layer,
    layers.filter((l) => l !== layer && !ok.includes(l)),
  ]),
);

/**
 * Where each outside package may be used for its values (types may be imported anywhere): SQL
 * drivers in the store, HTTP in the API, the browser library in the layers that drive one.
 */
const packageHomes = {
  kysely: ['store'],
  pg: ['store'],
  'better-sqlite3': ['store'],
  fastify: ['api'],
  'fastify-type-provider-zod': ['api'],
  '@fastify/*': ['api'],
  'playwright-core': ['browser', 'runner', 'crawl'],
  '@aws-sdk/*': ['store'],
};

const layerRules = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.map((b) => ({
            // `<layer>.ts` only for the one-file layer (config.ts): domain/scan.ts is not the scan layer.
            group: [`**/${b}/*`, `**/${b}/**`, ...(b === 'config' ? [`**/${b}.ts`] : [])],
            message: `src/${layer} must not import from src/${b} (see DESIGN.md, direction of imports).`,
          })),
          ...Object.entries(packageHomes)
            .filter(([, homes]) => !homes.includes(layer))
            .map(([pkg, homes]) => ({
              group: [pkg],
              allowTypeImports: true,
              message: `${pkg} is used only in src/${homes.join(', src/')} (types may be imported anywhere).`,
            })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.tools/',
      'dist/',
      '.greenlight/',
      'test-results/',
      'demo/site/',
      'bench/out/',
      'web/dist/',
      // Output folders the README examples write into (reports, exported suites).
      'out/',
      'exported/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules,
  {
    // The dashboard runs in the browser and talks to the server only over HTTP.
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        navigator: 'readonly',
        EventSource: 'readonly',
        fetch: 'readonly',
        ResizeObserver: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
