import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SERVER_DEPS = ['fastify', 'typebox', '@fastify/*', 'better-sqlite3', 'pg', '@pydantic/genai-prices'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bearlumen/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // The boundary (docs/design-decisions.md, "The SDK/server boundary"): SDK code never reaches into the server or its dependencies.
    files: ['src/**/*.ts'],
    ignores: ['src/server/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/server', '**/server/**', ...SERVER_DEPS], message: 'SDK code must not import the server or its dependencies.' },
          ],
        },
      ],
    },
  },
  {
    // The protocol zone imports nothing outside itself.
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./[^/]+$)', message: 'protocol/ imports nothing outside itself.' }] }],
    },
  },
  {
    files: ['bench/**/*.{js,mjs}', '.ci/**', 'test/**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
