// Lint rules, including the direction of imports between layers (DESIGN.md): a machine checks
// it, as Playwright does with its DEPS.list files.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders each layer must not import from. */
const forbidden = {
  domain: [
    'store',
    'queue',
    'events',
    'browser',
    'runner',
    'engine',
    'api',
    'cli',
    'report',
    'export',
    'demo',
    'config',
  ],
  store: [
    'queue',
    'events',
    'browser',
    'runner',
    'engine',
    'api',
    'cli',
    'report',
    'export',
    'demo',
  ],
  queue: ['events', 'browser', 'runner', 'engine', 'api', 'cli', 'report', 'export', 'demo'],
  events: [
    'store',
    'queue',
    'browser',
    'runner',
    'engine',
    'api',
    'cli',
    'report',
    'export',
    'demo',
  ],
  browser: [
    'store',
    'queue',
    'events',
    'runner',
    'engine',
    'api',
    'cli',
    'report',
    'export',
    'demo',
  ],
  runner: ['store', 'queue', 'events', 'engine', 'api', 'cli', 'report', 'export', 'demo'],
  engine: ['api', 'cli', 'demo'],
  export: ['store', 'queue', 'events', 'browser', 'runner', 'engine', 'api', 'cli', 'demo'],
  report: ['store', 'queue', 'events', 'browser', 'runner', 'engine', 'api', 'cli', 'demo'],
  demo: [
    'store',
    'queue',
    'events',
    'browser',
    'runner',
    'engine',
    'api',
    'cli',
    'report',
    'export',
  ],
  api: ['cli', 'browser', 'runner'],
  // Discovery and test generation: domain, store, browser, integrations (SSRF guard) and config.
  crawl: ['api', 'cli', 'runner', 'engine', 'queue', 'events', 'report', 'export', 'demo'],
  // Callbacks and other outbound integrations: domain, store, events and config only.
  integrations: ['api', 'cli', 'browser', 'runner', 'engine', 'queue', 'demo', 'export'],
  // Account logic: passwords, tokens, sessions. It may use domain and store only.
  auth: [
    'api',
    'cli',
    'browser',
    'runner',
    'queue',
    'events',
    'engine',
    'report',
    'export',
    'demo',
    'integrations',
  ],
};

const layerRules = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/*`, `**/${b}/**`, `**/${b}.ts`],
          message: `src/${layer} must not import from src/${b} (see DESIGN.md, direction of imports).`,
        })),
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
);
