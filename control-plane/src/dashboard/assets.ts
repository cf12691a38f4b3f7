import type { DashboardAssets } from './bundle.js';

/**
 * The bundled script and stylesheet. `pnpm build` bundles them (see bundle.ts) and defines these
 * constants in dist/main.js, so the built control plane carries its own copy.
 */
declare const __BERTH_DASHBOARD_JS__: string | undefined;
declare const __BERTH_DASHBOARD_CSS__: string | undefined;

let fromSource: Promise<DashboardAssets> | undefined;

/** The dashboard's script and stylesheet: built in, or bundled from source once (tests, tsx). */
export function dashboardAssets(): Promise<DashboardAssets> {
  if (typeof __BERTH_DASHBOARD_JS__ === 'string' && typeof __BERTH_DASHBOARD_CSS__ === 'string') {
    return Promise.resolve({ script: __BERTH_DASHBOARD_JS__, styles: __BERTH_DASHBOARD_CSS__ });
  }
  fromSource ??= import('./bundle.js')
    .then((bundle) => bundle.bundleDashboard())
    .catch((err: unknown) => {
      // Try again on the next request rather than serve the failure forever.
      fromSource = undefined;
      throw err;
    });
  return fromSource;
}
