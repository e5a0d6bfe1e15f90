/**
 * ESLint keeps the architecture visible: projects meet only through their public entry points
 * (a tsconfig.base.json path such as @todo/cluster -> tools/cluster/src/index.ts). A relative import
 * into another project (`../../../../cluster/src/kind`) or a deep import (`@todo/cluster/src/kind`) fails.
 * Type checking stays with tsc (each project's lint target runs both).
 */
import nx from '@nx/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.next/**', '**/.nx/**', '**/.tools/**', 'tmp/**', 'apps/frontend/**', 'apps/backend/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // every jest config shares the root's JUnit reporter settings
          allow: ['../../jest.junit'],
          depConstraints: [{ sourceTag: '*', onlyDependOnLibsWithTags: ['*'] }],
        },
      ],
      // The rule above only sees imports between projects; this one also refuses a deep path into a
      // library's folders when written through its alias.
      // It also backs up the Nx rule, which skips itself when no project graph is cached: a relative path
      // that climbs out and into another folder's src/ is always another project's insides.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@todo/*/src', '@todo/*/src/*'], message: 'import the library through its entry point (@todo/<name>), not its files' },
            { regex: '^(\\.\\./)+([^./][^/]*/)+src(/|$)', message: "another project's files: import it through its tsconfig path (@todo/<name>)" },
          ],
        },
      ],
    },
  },
];
