import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The browser script's entry point. */
export const CLIENT_ENTRY = join(HERE, 'client', 'main.ts');
/** The stylesheet's entry point: its `@import`s are the cascade order. */
export const STYLES_ENTRY = join(HERE, 'styles', 'app.css');

export interface DashboardAssets {
  script: string;
  styles: string;
}

/**
 * Bundles the dashboard's script and stylesheet with esbuild. These are the only build options
 * for them: `pnpm build` (scripts/build.mjs) calls this and bakes the result into dist/main.js,
 * and a control plane running from source (tests, tsx) calls it on first request. esbuild is a
 * dev dependency; the control plane's build keeps it external, and dist/main.js never gets here.
 */
export async function bundleDashboard(): Promise<DashboardAssets> {
  const { build } = await import('esbuild');
  const options = {
    bundle: true,
    write: false,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  } as const;
  const [script, styles] = await Promise.all([
    build({
      ...options,
      entryPoints: [CLIENT_ENTRY],
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
    }),
    // A .css entry uses esbuild's css loader, which inlines the @imports in order.
    build({ ...options, entryPoints: [STYLES_ENTRY] }),
  ]);
  return {
    script: onlyOutput(script.outputFiles, CLIENT_ENTRY),
    styles: onlyOutput(styles.outputFiles, STYLES_ENTRY),
  };
}

function onlyOutput(files: readonly { text: string }[], entry: string): string {
  const [file] = files;
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}
