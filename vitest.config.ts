import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'protocol/src/**/*.test.ts',
            'agent/src/**/*.test.ts',
            'control-plane/src/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One file at a time: the files share one Docker engine and the status port range.
          fileParallelism: false,
        },
      },
    ],
  },
});
