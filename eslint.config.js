import { relative } from 'node:path';
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

/**
 * Each outside library is used from one folder only, behind an interface the rest of the
 * code depends on. Tests beside the code follow the same rule.
 */
export const LIBRARY_HOMES = [
  {
    names: ['dockerode', 'docker-modem', 'tar-fs'],
    homes: ['agent/src/docker/'],
    why: 'Docker is reached only through agent/src/docker/ (the Engine interface).',
  },
  {
    names: ['ws'],
    homes: ['agent/src/connection/', 'agent/src/testing/', 'control-plane/src/hub/'],
    why: 'WebSockets belong to the agent connection and the control-plane hub.',
  },
  {
    names: ['lowdb', 'lmdb'],
    homes: ['control-plane/src/store/'],
    why: 'Storage engines are used only inside control-plane/src/store/.',
  },
  {
    names: ['hono', '@hono/node-server'],
    homes: ['control-plane/src/http/'],
    why: 'HTTP routing lives in control-plane/src/http/.',
  },
  {
    names: ['prom-client'],
    homes: ['control-plane/src/metrics/', 'agent/src/status/'],
    why: 'Prometheus metrics are made only in control-plane/src/metrics/ (MetricsRegistry) and agent/src/status/ (createAgentMetrics).',
  },
];

/** The library an import specifier names ("hono/compress" names "hono"). */
function libraryOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const libraryHomes = {
  meta: {
    type: 'problem',
    docs: { description: 'each outside library is imported only from its own folder' },
    schema: [],
  },
  create(context) {
    const file = relative(import.meta.dirname, context.filename)
      .split('\\')
      .join('/');
    const check = (node, specifier) => {
      if (typeof specifier !== 'string') return;
      const library = libraryOf(specifier);
      const rule = LIBRARY_HOMES.find((r) => r.names.includes(library));
      if (!rule || rule.homes.some((home) => file.startsWith(home))) return;
      context.report({
        node,
        message: `"${library}" may be imported only from ${rule.homes.join(', ')}. ${rule.why}`,
      });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
    };
  },
};

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
    files: ['agent/src/**/*.ts', 'control-plane/src/**/*.ts', 'protocol/src/**/*.ts'],
    plugins: { berth: { rules: { 'library-homes': libraryHomes } } },
    rules: { 'berth/library-homes': 'error' },
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
