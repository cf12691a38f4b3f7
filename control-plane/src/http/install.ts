import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { AgentRelease } from '../agent-release.js';
import { BerthError, notFound } from '../errors.js';
import type { NodeRuntime } from '../node-runtime.js';
import { publicUrlOf } from './public-url.js';

/** Where install.sh downloads the agent from; the installer spells these out too. */
export const AGENT_BUNDLE_PATH = '/agent/v1/bundle';
/** A nodejs.org-style folder with this control plane's own Node.js, for workers that have none. */
export const NODE_RUNTIME_PATH = '/agent/v1/node';

// install.sh carries exactly this line; the served copy has the public URL in it.
const URL_MARKER = /^SERVED_CONTROL_PLANE_URL=""$/m;

/** Single-quotes a value for a POSIX shell, whatever it contains. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function notBuilt(release: AgentRelease, what: string): BerthError {
  return new BerthError(
    'NOT_BUILT',
    `${what} is not built: run \`pnpm build\` in the Berth checkout, or point BERTH_AGENT_RELEASE_DIR at a built release (now ${release.dir})`,
  );
}

export interface InstallDeps {
  release: AgentRelease;
  /** null when this control plane's Node.js cannot be copied to another machine. */
  nodeRuntime: NodeRuntime | null;
  publicUrl: string | undefined;
}

/**
 * `GET /install.sh` (with this control plane's public URL filled in) and what
 * it downloads: the agent bundle (`/agent/v1/bundle` is the manifest, then
 * `/agent/v1/bundle/<file>` and `<file>.sha256`) and a Node.js runtime
 * (`/agent/v1/node/SHASUMS256.txt` and the tarball it lists).
 */
export function installRoutes(deps: InstallDeps): Hono {
  const { release, nodeRuntime } = deps;
  const app = new Hono();

  app.get('/install.sh', async (c) => {
    const script = await release.installScript();
    if (script === null) throw notBuilt(release, 'the installer');
    if (!URL_MARKER.test(script)) {
      throw new BerthError(
        'NOT_BUILT',
        'the installer has no SERVED_CONTROL_PLANE_URL="" line to fill in; rebuild it from this checkout with `pnpm build`',
      );
    }
    const url = publicUrlOf(c, deps.publicUrl);
    const served = script.replace(URL_MARKER, () => `SERVED_CONTROL_PLANE_URL=${shellQuote(url)}`);
    return c.body(served, 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      // The text depends on the Host header unless BERTH_PUBLIC_URL is set.
      'Cache-Control': 'no-store',
    });
  });

  app.get(AGENT_BUNDLE_PATH, async (c) => {
    const manifest = await release.manifest();
    if (!manifest) throw notBuilt(release, 'the agent bundle');
    return c.json(manifest);
  });

  app.get(`${AGENT_BUNDLE_PATH}/:file`, async (c) => {
    const file = c.req.param('file');
    const bundle = await release.bundle();
    if (!bundle) throw notBuilt(release, 'the agent bundle');
    const { manifest, bytes } = bundle;
    const headers = { 'Cache-Control': 'no-cache', ETag: `"${manifest.sha256}"` };
    if (file === manifest.file) {
      return c.body(bytes, 200, {
        ...headers,
        'Content-Type': 'application/gzip',
        'Content-Length': String(bytes.byteLength),
      });
    }
    if (file === `${manifest.file}.sha256`) {
      // The format `sha256sum --check` reads.
      return c.text(`${manifest.sha256}  ${manifest.file}\n`, 200, headers);
    }
    throw notFound('agent bundle file', file);
  });

  const noRuntime = () =>
    new BerthError(
      'NOT_FOUND',
      'this control plane does not offer its Node.js runtime (only a self-contained linux x64 or arm64 node can be copied); install Node.js 20 or newer on the server, or set BERTH_NODE_MIRROR',
      { status: 404 },
    );

  app.get(`${NODE_RUNTIME_PATH}/SHASUMS256.txt`, async (c) => {
    if (!nodeRuntime) throw noRuntime();
    const { sha256 } = await nodeRuntime.tarball();
    return c.text(`${sha256}  ${nodeRuntime.file}\n`, 200, { 'Cache-Control': 'no-cache' });
  });

  app.get(`${NODE_RUNTIME_PATH}/:file`, async (c) => {
    if (!nodeRuntime) throw noRuntime();
    if (c.req.param('file') !== nodeRuntime.file) throw notFound('file', c.req.param('file'));
    const { path, bytes } = await nodeRuntime.tarball();
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(bytes),
      'Cache-Control': 'no-cache',
    });
  });

  return app;
}
