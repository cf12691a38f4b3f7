// Bundles one package's src/main.ts into dist/main.js with esbuild.
import { build } from 'esbuild';
import { tsImport } from 'tsx/esm/api';
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

// The control plane carries the dashboard's script and stylesheet as string constants, bundled
// by the control plane's own code so that there is one set of build options for them.
const define = {};
if (name === 'control-plane') {
  const { bundleDashboard } = await tsImport(join(pkg, 'src/dashboard/bundle.ts'), import.meta.url);
  const { script, styles } = await bundleDashboard();
  define.__BERTH_DASHBOARD_JS__ = JSON.stringify(script);
  define.__BERTH_DASHBOARD_CSS__ = JSON.stringify(styles);
}

// LMDB loads a native addon next to its own files: the control plane imports it from node_modules.
// esbuild (a dev dependency) is reached only when running from source, never from dist/main.js.
const external = [
  ...NODE_BUNDLE_OPTIONS.external,
  ...(name === 'control-plane' ? ['lmdb', 'esbuild'] : []),
];

await build({
  ...NODE_BUNDLE_OPTIONS,
  external,
  entryPoints: [join(pkg, 'src/main.ts')],
  outfile: join(pkg, 'dist/main.js'),
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  define,
});
console.log(`built ${name}/dist/main.js`);
