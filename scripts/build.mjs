// Bundles one package's src/main.ts into dist/main.js with esbuild.
import { build } from 'esbuild';
import { NODE_BUNDLE_OPTIONS } from './node-bundle-options.mjs';
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

// LMDB loads a native addon next to its own files: the control plane imports it from node_modules.
const external = [...NODE_BUNDLE_OPTIONS.external, ...(name === 'control-plane' ? ['lmdb'] : [])];

await build({
  ...NODE_BUNDLE_OPTIONS,
  external,
  entryPoints: [join(pkg, 'src/main.ts')],
  outfile: join(pkg, 'dist/main.js'),
  sourcemap: true,
  minify: false,
  define,
});
console.log(`built ${name}/dist/main.js`);
