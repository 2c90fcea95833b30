// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Module boundaries (STYLE.md §2.2): cross-module imports go through index.ts only. */
const boundaries = {
  'src/smtp/**': ['**/mime/**', '**/settings/**', '**/store/**', '**/outbox/**', '**/notify/**', '**/http/**', '**/cli/**'],
  'src/mime/**': ['**/smtp/**', '**/settings/**', '**/store/**', '**/outbox/**', '**/notify/**', '**/http/**', '**/cli/**'],
  'src/settings/**': ['**/mime/**', '**/store/**', '**/outbox/**', '**/notify/**', '**/http/**', '**/cli/**', 'fastify', 'pg', 'better-sqlite3', 'kysely'],
  'src/outbox/**': ['**/store/**', '**/notify/**', '**/http/**', '**/cli/**', 'fastify', 'pg', 'better-sqlite3', 'kysely', 'node:net', 'node:tls'],
  'src/notify/**': ['**/store/**', '**/http/**', '**/cli/**', '**/smtp/**', 'fastify', 'pg', 'better-sqlite3', 'kysely', 'node:net', 'node:tls'],
  'src/store/**': ['**/smtp/**', '**/http/**', '**/cli/**', '**/mime/**', 'fastify'],
  'src/http/**': ['**/store/**', '**/cli/**', 'pg', 'better-sqlite3', 'kysely', 'node:net', 'node:tls'],
}

export default tseslint.config(
  { ignores: ['vitest.config.ts', 'web/vite.config.ts', 'dist/**', 'node_modules/**', 'web/dist/**', 'data/**', 'test-results/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use `as const` unions, not enums.' }],
    },
  },
  {
    files: ['test/**', '**/*.test.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  ...Object.entries(boundaries).map(([glob, patterns]) => ({
    files: [glob],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message: 'Module boundary (STYLE.md §2.2).' })) }],
    },
  })),
)
