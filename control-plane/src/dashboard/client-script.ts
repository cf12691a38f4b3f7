import type * as Esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The bundled dashboard script. `pnpm build` bundles `client/main.ts` and defines
 * this constant in dist/main.js, so the built control plane carries its own copy.
 */
declare const __BERTH_DASHBOARD_JS__: string | undefined;

/** The client entry point, and how both the build and the source fallback bundle it. */
export const CLIENT_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'client', 'main.ts');

let fromSource: Promise<string> | undefined;

export function dashboardScript(): Promise<string> {
  if (typeof __BERTH_DASHBOARD_JS__ === 'string') return Promise.resolve(__BERTH_DASHBOARD_JS__);
  fromSource ??= bundleFromSource();
  return fromSource;
}

/** Running from source (tests, tsx): bundle the client now with esbuild, a dev dependency. */
async function bundleFromSource(): Promise<string> {
  // A computed specifier keeps the bundler from pulling esbuild into dist/main.js.
  const specifier = ['es', 'build'].join('');
  const esbuild = (await import(specifier)) as typeof Esbuild;
  const result = await esbuild.build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced no output for ${CLIENT_ENTRY}`);
  return output.text;
}
