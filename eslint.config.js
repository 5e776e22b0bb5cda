import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// What each part of the backend may import, besides its own files and npm packages. This table
// is the rule (checked by eslint-plugin-boundaries on every import, type-only ones included) and
// server/README.md repeats it in words. A new folder: add one line here (its path, and the paths
// it may import) and add its path to the lines of the folders that may import it; give the
// folder a README.md saying the same, and a row in server/README.md. A folder under server/
// that no line names can neither import nor be imported.
const BASE = ['server/config.ts', 'server/core', 'server/db'];
const DOMAIN = [...BASE, 'server/web', 'server/audit', 'server/auth'];
const MAY_IMPORT = {
  'server/config.ts': [],
  'server/db': ['server/config.ts'],
  'server/core': ['server/config.ts', 'server/db'],
  'server/embedded': [],
  'server/i18n': BASE,
  'server/web': [...BASE, 'server/i18n'],
  'server/audit': [...BASE, 'server/web'],
  'server/auth': [...BASE, 'server/web', 'server/audit', 'server/i18n'],
  'server/registry': [...DOMAIN, 'broker'],
  'server/tasks': [...DOMAIN, 'broker', 'server/webhooks'],
  'server/devices': [...DOMAIN, 'server/tasks', 'broker', 'server/webhooks'],
  'server/catalog': DOMAIN,
  'server/render': [...DOMAIN, 'server/tasks'],
  'server/commands': [...DOMAIN, 'server/tasks', 'broker'],
  'server/aisle': [...DOMAIN, 'server/catalog', 'server/commands'],
  'server/dashboard': [...DOMAIN, 'server/tasks', 'server/devices'],
  'server/alerts': [...DOMAIN, 'server/tasks', 'server/webhooks'],
  'server/api': [
    ...BASE,
    'server/catalog',
    'server/tasks',
    'server/registry',
    'server/devices',
    'server/webhooks',
    'server/commands',
    'server/audit',
    'server/alerts',
  ],
  // events recorded by tasks and devices in their transactions (events.ts), delivered from here
  'server/webhooks': [...DOMAIN, 'broker'],
  'server/demo': [...BASE, 'server/audit', 'server/registry', 'broker', 'sim'],
  // the composition root and the process entry see every module
  'server/platform.ts': ['*'],
  'server/main.ts': ['*'],
  broker: ['server/core', 'server/db'],
  // the AP simulator (a CLI that also seeds a database) and the demo's fleet
  sim: ['broker', 'server/db'],
};
const PATHS = Object.keys(MAY_IMPORT);
// A folder is an element; the files directly in server/ belong to the element "server", told
// apart by their name.
const FOLDERS = PATHS.filter((path) => !path.endsWith('.ts'));
const selector = (path) =>
  path.endsWith('.ts') ? { type: 'server', fileInternalPath: path.slice('server/'.length) } : { type: path };
const ELEMENTS = [...FOLDERS, 'server'].map((path) => ({ type: path, pattern: path, partialMatch: false }));

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        NodeJS: 'readonly',
        URLSearchParams: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        AbortController: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through server/config.ts.' },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'broker/**/*.ts', 'sim/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'import/resolver': { typescript: { project: './tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          // an import of a local file outside every element (test/, scripts/) is refused too
          checkUnknownLocals: true,
          message:
            '{{from.type}} may not import {{to.type}}/{{to.fileInternalPath}}: see MAY_IMPORT in eslint.config.js',
          policies: PATHS.map((from) => ({
            from: { element: selector(from) },
            allow: {
              to: (MAY_IMPORT[from].includes('*') ? PATHS : [from, ...MAY_IMPORT[from]]).map((to) => ({
                element: selector(to),
              })),
            },
          })),
        },
      ],
    },
  },
  {
    // Query results are typed at the call through server/db/query.ts, never cast: a cast here
    // (`(await db.query(sql)) as [Row[]]`, or `as unknown as`) hides a wrong row shape from tsc.
    files: ['server/**/*.ts', 'broker/**/*.ts'],
    ignores: ['server/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'TSAsExpression > AwaitExpression > CallExpression[callee.property.name=/^(query|execute)$/]',
          message:
            'Do not cast a query result: use queryRows<Row>/queryOne<Row>/querySingle<Row>/execute from server/db/query.ts.',
        },
      ],
    },
  },
  {
    // Layers: HTTP handlers call services, never repos (the only files with SQL).
    files: ['server/**/*-routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '-repo\\.js$', message: 'Routes call services; only services use repos.' }] },
      ],
    },
  },
  {
    // The config module reads the environment; tests and tools may pass pieces of it through.
    files: ['server/config.ts', 'test/**', 'scripts/**', 'bench/**', 'sim/**', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        window: 'readonly',
        EventSource: 'readonly',
        fetch: 'readonly',
        location: 'readonly',
        DOMParser: 'readonly',
        CSS: 'readonly',
      },
    },
  },
);
