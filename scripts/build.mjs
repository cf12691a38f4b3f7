// Bundles one package's src/main.ts into dist/main.js with esbuild.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
if (name !== 'agent' && name !== 'control-plane') {
  console.error('usage: node scripts/build.mjs agent|control-plane');
  process.exit(1);
}
const pkg = join(root, name);
await rm(join(pkg, 'dist'), { recursive: true, force: true });

// The control plane carries the dashboard's browser script as a string constant.
const define = {};
if (name === 'control-plane') {
  const client = await build({
    entryPoints: [join(pkg, 'src/dashboard/client/main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  define.__BERTH_DASHBOARD_JS__ = JSON.stringify(client.outputFiles[0].text);
}

await build({
  entryPoints: [join(pkg, 'src/main.ts')],
  outfile: join(pkg, 'dist/main.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  minify: false,
  legalComments: 'none',
  define,
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
});
console.log(`built ${name}/dist/main.js`);
