// esbuild options shared by every Node bundle Berth builds: one ESM file for
// Node 20 that can still load the CommonJS dependencies it bundles.
import { dependencyPatches } from './dependency-patches.mjs';

export const NODE_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  // Optional native helpers of ws and ssh2; both work without them.
  external: ['bufferutil', 'utf-8-validate', 'cpu-features', '*.node'],
  banner: {
    js: [
      "import { createRequire as __berthCreateRequire } from 'node:module';",
      "import { fileURLToPath as __berthFileURLToPath } from 'node:url';",
      "import { dirname as __berthDirname } from 'node:path';",
      'const require = __berthCreateRequire(import.meta.url);',
      'const __filename = __berthFileURLToPath(import.meta.url);',
      'const __dirname = __berthDirname(__filename);',
    ].join('\n'),
  },
  logLevel: 'warning',
  plugins: [dependencyPatches],
};
