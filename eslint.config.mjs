// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', '**/.build*/', 'coverage/', '**/node_modules/', 'bench/results/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node's globals everywhere but in the browser's script (next block).
    ignores: ['browser/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The dashboard's browser script (built to dist/browser/ by browser/build.mjs): the browser's globals, no Node's.
    files: ['browser/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      // The project's own conventions: unused names start with `_`, `require` only where a peer is optional.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^prom-client$', '^cluster-key-slot$'] }],
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    // CommonJS imports with require (tools/lua-scripts.cjs: the build's tool, which the tests require too).
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Formatting is prettier's business (`prettier --check .` in `npm run lint`).
  prettier,
  {
    // After eslint-config-prettier, which turns it off: prettier wraps code at 120 columns but leaves comments,
    // strings and template literals as they are, so this catches those. ESLint 10 still has the core rule
    // (deprecated, kept until ESLint 11, then `@stylistic/max-len` of @stylistic/eslint-plugin).
    files: ['lib/**/*.ts', 'browser/**/*.ts'],
    // The Lua scripts built into TypeScript (tools/lua-scripts.cjs) hold each source on one line.
    ignores: ['lib/**/*.generated.ts'],
    rules: { 'max-len': ['error', { code: 120, tabWidth: 2 }] },
  },
);
