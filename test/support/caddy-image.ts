import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BASE_IMAGE, REGISTRY, docker } from './app-fixture.js';
import { tempDir } from './processes.js';

// The proxy test image: Debian's dynamically linked caddy 2.6.2 on the busybox test base,
// with the three shared objects it loads copied in at the paths the loader looks for them.
// test/run.sh installs Debian's `caddy` package; the image is built once and reused.

export const CADDY_IMAGE = 'berth-test/caddy:latest';
/** The same image in the test registry, for agents that pull. */
export const CADDY_REGISTRY_IMAGE = `${REGISTRY}/${CADDY_IMAGE}`;

const FILES = [
  '/usr/bin/caddy',
  '/lib/x86_64-linux-gnu/libzstd.so.1',
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/lib64/ld-linux-x86-64.so.2',
];

// Like the official caddy:2 image: caddy on PATH, config and data under fixed roots.
const DOCKERFILE_LINES = [
  'COPY rootfs/ /',
  'ENV PATH=/usr/bin:/bin XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data',
  'RUN mkdir -p /config /data /etc/caddy /srv',
  'EXPOSE 80 443',
  'WORKDIR /srv',
  'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]',
];

const DEFAULT_CADDYFILE = ':80 {\n\trespond "berth-test caddy"\n}\n';
const RECIPE_LABEL = 'berth.test.recipe';

/** What is missing on this host to build the image, or null. */
export function caddyImageMissing(): string | null {
  const absent = FILES.filter((file) => !existsSync(file));
  if (absent.length === 0) return null;
  return `${absent.join(', ')} (apt-get install caddy; test/run.sh installs it)`;
}

/** A hash of everything the image is made of: a new caddy package or recipe rebuilds it. */
function recipeHash(): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ BASE_IMAGE, DOCKERFILE_LINES, DEFAULT_CADDYFILE }));
  for (const file of FILES) hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

async function localRecipe(): Promise<string | null> {
  try {
    return await docker([
      'image',
      'inspect',
      '--format',
      `{{index .Config.Labels "${RECIPE_LABEL}"}}`,
      CADDY_IMAGE,
    ]);
  } catch {
    return null;
  }
}

async function build(recipe: string): Promise<void> {
  const context = tempDir('caddy-image');
  try {
    for (const file of FILES) {
      const target = join(context, 'rootfs', file);
      mkdirSync(dirname(target), { recursive: true });
      // Symlinks are resolved: the image gets the file's content at the path asked for.
      writeFileSync(target, readFileSync(realpathSync(file)), { mode: 0o755 });
    }
    mkdirSync(join(context, 'rootfs/etc/caddy'), { recursive: true });
    writeFileSync(join(context, 'rootfs/etc/caddy/Caddyfile'), DEFAULT_CADDYFILE);
    writeFileSync(
      join(context, 'Dockerfile'),
      [`FROM ${BASE_IMAGE}`, ...DOCKERFILE_LINES, ''].join('\n'),
    );
    await docker(
      [
        'build',
        '--quiet',
        '--force-rm',
        '--label',
        `${RECIPE_LABEL}=${recipe}`,
        '--tag',
        CADDY_IMAGE,
        context,
      ],
      5 * 60_000,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The config digest the registry holds for the image, or null. */
async function registryImageId(): Promise<string | null> {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/berth-test/caddy/manifests/latest`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) return null;
    const manifest = (await res.json()) as { config?: { digest?: string } };
    return manifest.config?.digest ?? null;
  } catch {
    return null;
  }
}

/**
 * Builds berth-test/caddy:latest unless Docker already holds this recipe's build, and
 * pushes it to the test registry unless the registry already holds it. Returns the local tag.
 */
export async function ensureCaddyImage(options: { push?: boolean } = {}): Promise<string> {
  const missing = caddyImageMissing();
  if (missing) throw new Error(`cannot build ${CADDY_IMAGE}: needs ${missing}`);
  const recipe = recipeHash();
  if ((await localRecipe()) !== recipe) await build(recipe);
  if (options.push !== false) {
    const id = await docker(['image', 'inspect', '--format', '{{.Id}}', CADDY_IMAGE]);
    if ((await registryImageId()) !== id) {
      await docker(['tag', CADDY_IMAGE, CADDY_REGISTRY_IMAGE]);
      await docker(['push', CADDY_REGISTRY_IMAGE], 5 * 60_000);
    }
  }
  return CADDY_IMAGE;
}

/**
 * Whether the proxy tests can run here: Docker and the caddy package. Under CI=true a
 * missing piece is a failure, never a skip.
 */
export function caddyImageOrSkip(): boolean {
  const missing = caddyImageMissing();
  if (!missing) return true;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the proxy test image cannot be built: needs ${missing}`);
  }
  console.warn(`\n!!! The proxy tests are SKIPPED: they need ${missing} !!!\n`);
  return false;
}
