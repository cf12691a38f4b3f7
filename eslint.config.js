import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const boundary = (forbidden, message) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: forbidden.map((group) => ({ group: [group], message })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.berth/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['agent/src/**/*.ts'],
    rules: boundary(
      ['@berth/control-plane', '@berth/control-plane/*', '**/control-plane/**'],
      'The agent must not import the control plane; share code through @berth/protocol.',
    ),
  },
  {
    files: ['control-plane/src/**/*.ts'],
    rules: boundary(
      ['@berth/agent', '@berth/agent/*', '**/agent/src/**', '../../agent/**', '../agent/**'],
      'The control plane must not import the agent; share code through @berth/protocol.',
    ),
  },
  {
    files: ['protocol/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|node:path$|node:net$|\\.{1,2}/)',
              message: 'protocol may import only zod (and pure node helpers); it does no I/O.',
            },
          ],
        },
      ],
    },
  },
);
