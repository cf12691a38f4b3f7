import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { REGISTRY } from './app-fixture.js';
import { tempDir } from './processes.js';
import { debianMirror } from './worker-host.js';

const execFileAsync = promisify(execFile);

// Database engines for tests, built from Debian's own packages, because the official
// images cannot be pulled here. One debootstrap rootfs holds all three engines; each
// engine image is a thin `docker build` on top of it with the official image's
// conventions (environment variables, data path, port, entrypoint, command).
const SUITE = 'bookworm';
const PACKAGES = ['postgresql-15', 'mariadb-server', 'redis-server'];
const IMAGES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'images');

export type Engine = 'postgres' | 'mariadb' | 'redis';
export type EngineImages = Record<Engine, string>;

interface EngineRecipe {
  /** The local name, also the repository path in the test registry. */
  name: string;
  tag: string;
  entrypoint: string;
  dockerfile: string;
}

const ENTRYPOINT_LINES = [
  'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh',
  'ENTRYPOINT ["docker-entrypoint.sh"]',
];

const ENGINES: Record<Engine, EngineRecipe> = {
  postgres: {
    name: 'berth-test/postgres',
    tag: '15',
    entrypoint: 'postgres-entrypoint.sh',
    dockerfile: [
      'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'ENV PG_MAJOR=15 PGDATA=/var/lib/postgresql/data',
      'VOLUME /var/lib/postgresql/data',
      ...ENTRYPOINT_LINES,
      // Like the official image: SIGINT is PostgreSQL's fast shutdown.
      'STOPSIGNAL SIGINT',
      'EXPOSE 5432',
      'CMD ["postgres"]',
    ].join('\n'),
  },
  mariadb: {
    name: 'berth-test/mariadb',
    tag: '10.11',
    entrypoint: 'mariadb-entrypoint.sh',
    dockerfile: [
      'VOLUME /var/lib/mysql',
      ...ENTRYPOINT_LINES,
      'STOPSIGNAL SIGTERM',
      'EXPOSE 3306',
      'CMD ["mariadbd"]',
    ].join('\n'),
  },
  redis: {
    name: 'berth-test/redis',
    tag: '7',
    entrypoint: 'redis-entrypoint.sh',
    dockerfile: [
      'VOLUME /data',
      'WORKDIR /data',
      ...ENTRYPOINT_LINES,
      'STOPSIGNAL SIGTERM',
      'EXPOSE 6379',
      'CMD ["redis-server"]',
    ].join('\n'),
  },
};

/** Files written into the rootfs before it is imported. */
const ROOTFS_FILES: Record<string, string> = {
  // Listen on every address (Debian binds 127.0.0.1), like the official image.
  'etc/mysql/mariadb.conf.d/99-berth-test.cnf':
    '[mariadbd]\nbind-address = 0.0.0.0\nskip-name-resolve\nhost-cache-size = 0\n',
};

function readEntrypoint(file: string): string {
  return readFileSync(join(IMAGES_DIR, file), 'utf8');
}

// Package caches, documentation, manuals, translations, and the clusters and data the
// packages' scripts created: each image initialises its own data on first start.
const STRIP_PATHS = [
  'var/cache/apt',
  'var/lib/apt/lists',
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/locale',
  'usr/share/lintian',
  'usr/share/postgresql/15/man',
  'var/lib/postgresql/15',
  'etc/postgresql/15',
  'var/log/postgresql',
  'var/cache/debconf/templates.dat-old',
  'var/lib/mysql',
  'var/lib/redis',
  'usr/share/i18n',
  // PostgreSQL's JIT provider and LLVM (about 160 MB); without them the server runs
  // with JIT unavailable, which changes no result.
  'usr/lib/postgresql/15/lib/llvmjit.so',
  'usr/lib/postgresql/15/lib/llvmjit_types.bc',
  'usr/lib/postgresql/15/lib/bitcode',
  'usr/lib/x86_64-linux-gnu/libLLVM-14.so',
  'usr/lib/x86_64-linux-gnu/libLLVM-14.so.1',
  'usr/lib/x86_64-linux-gnu/libz3.so.4',
];

// Data directories owned by each engine's user, so a fresh named volume inherits them.
const DATA_DIRS: [string, string, number][] = [
  ['var/lib/postgresql', 'postgres', 0o755],
  ['var/lib/postgresql/data', 'postgres', 0o700],
  ['var/run/postgresql', 'postgres', 0o2775],
  ['var/lib/mysql', 'mysql', 0o755],
  ['run/mysqld', 'mysql', 0o755],
  ['var/lib/redis', 'redis', 0o750],
  ['data', 'redis', 0o755],
];

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12);
}

/** The shared Debian root filesystem with the three engines installed. */
export const ENGINE_ROOTFS_IMAGE = `berth-test/engines-rootfs-${SUITE}:${shortHash({
  SUITE,
  PACKAGES,
  ROOTFS_FILES,
  STRIP_PATHS,
  DATA_DIRS,
  variant: 'minbase',
  v: 1,
})}`;

/** What one engine image is made of: a change rebuilds that image (not the rootfs). */
function recipeHash(engine: EngineRecipe): string {
  return shortHash({ ENGINE_ROOTFS_IMAGE, engine, script: readEntrypoint(engine.entrypoint) });
}
const RECIPE_LABEL = 'berth.test.recipe';

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function run(file: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
    });
    return stdout.trim();
  } catch (err) {
    const detail = err as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${detail.stderr || detail.message}`);
  }
}

async function imageInspect(ref: string): Promise<{ id: string; recipe?: string } | null> {
  try {
    const out = await run('docker', ['image', 'inspect', ref]);
    const [raw] = JSON.parse(out) as {
      Id: string;
      Config: { Labels: Record<string, string> | null };
    }[];
    if (!raw) return null;
    return { id: raw.Id, recipe: raw.Config.Labels?.[RECIPE_LABEL] };
  } catch {
    return null;
  }
}

/** The config digest (the engine's image id) the registry holds for name:tag, or null. */
async function registryImageId(name: string, tag: string): Promise<string | null> {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/${name}/manifests/${tag}`, {
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

/** What is missing to build the images on this host, or null when nothing is. */
function missingForBuild(): string | null {
  if (process.getuid?.() !== 0) return 'root (debootstrap needs it)';
  if (!hasCommand('debootstrap')) {
    return 'debootstrap (apt-get install debootstrap; test/run.sh installs it)';
  }
  if (!hasCommand('docker')) return 'the docker CLI';
  return null;
}

function registryAnswers(): boolean {
  try {
    execFileSync('curl', ['-fsS', '--max-time', '5', `http://${REGISTRY}/v2/`], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

function allBuilt(): boolean {
  return Object.values(ENGINES).every((engine) => {
    try {
      const label = execFileSync(
        'docker',
        [
          'image',
          'inspect',
          '--format',
          `{{index .Config.Labels "${RECIPE_LABEL}"}}`,
          `${engine.name}:${engine.tag}`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      )
        .toString()
        .trim();
      return label === recipeHash(engine);
    } catch {
      return false;
    }
  });
}

/**
 * Whether the engine images are cached or can be built and pushed here. Under CI=true
 * anything missing is a failure, never a skip; elsewhere the skip is loud.
 */
export function engineImagesOrSkip(): boolean {
  const missing = !registryAnswers()
    ? `a registry answering on ${REGISTRY} (test/run.sh starts one)`
    : allBuilt()
      ? null
      : missingForBuild();
  if (!missing) return true;
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but the database engine images cannot be made: needs ${missing}`);
  }
  console.warn(`\n!!! The database engine image tests are SKIPPED: they need ${missing} !!!\n`);
  return false;
}

/** Pipes `tar -C root -c .` into `docker import`, with no shell between them. */
async function importRootfs(root: string, image: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', root, '--numeric-owner', '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const importer = spawn('docker', ['import', '-c', 'CMD ["bash"]', '-', image], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    tar.stdout.pipe(importer.stdin);
    let stderr = '';
    tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    importer.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let tarCode: number | null = null;
    tar.once('exit', (code) => (tarCode = code));
    importer.once('exit', (code) => {
      if (code === 0 && tarCode === 0) resolve();
      else reject(new Error(`tar | docker import failed (${tarCode}, ${code}): ${stderr}`));
    });
  });
}

/** The rootfs's users by name, from its /etc/passwd. */
function passwdIds(root: string): Map<string, { uid: number; gid: number }> {
  const users = new Map<string, { uid: number; gid: number }>();
  for (const line of readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid && gid) users.set(name, { uid: Number(uid), gid: Number(gid) });
  }
  return users;
}

/** Debootstraps the shared rootfs, strips what a test engine does not need, imports it. */
async function buildRootfs(): Promise<void> {
  const missing = missingForBuild();
  if (missing) {
    throw new Error(`cannot build ${ENGINE_ROOTFS_IMAGE}: needs ${missing}`);
  }
  const root = tempDir('engines-rootfs');
  try {
    await run(
      'debootstrap',
      ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, root, debianMirror()],
      30 * 60_000,
    );
    for (const path of STRIP_PATHS) {
      rmSync(join(root, path), { recursive: true, force: true });
    }
    for (const [path, content] of Object.entries(ROOTFS_FILES)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const users = passwdIds(root);
    for (const [path, user, mode] of DATA_DIRS) {
      const ids = users.get(user);
      if (!ids) throw new Error(`the rootfs has no user ${user}`);
      mkdirSync(join(root, path), { recursive: true });
      chownSync(join(root, path), ids.uid, ids.gid);
      chmodSync(join(root, path), mode);
    }
    await importRootfs(root, ENGINE_ROOTFS_IMAGE);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function buildEngine(engine: EngineRecipe): Promise<void> {
  const context = tempDir('engine-image');
  try {
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${ENGINE_ROOTFS_IMAGE}\n${engine.dockerfile}\n`,
    );
    writeFileSync(join(context, 'docker-entrypoint.sh'), readEntrypoint(engine.entrypoint), {
      mode: 0o755,
    });
    await run(
      'docker',
      [
        'build',
        '--quiet',
        '--force-rm',
        '--label',
        `${RECIPE_LABEL}=${recipeHash(engine)}`,
        '--tag',
        `${engine.name}:${engine.tag}`,
        context,
      ],
      5 * 60_000,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Copies the local image to the test registry, unless the registry already holds it. */
async function pushEngine(engine: EngineRecipe, imageId: string): Promise<void> {
  if ((await registryImageId(engine.name, engine.tag)) === imageId) return;
  const local = `${engine.name}:${engine.tag}`;
  const remote = `${REGISTRY}/${local}`;
  if (hasCommand('skopeo')) {
    await run(
      'skopeo',
      ['copy', '--dest-tls-verify=false', `docker-daemon:${local}`, `docker://${remote}`],
      10 * 60_000,
    );
  } else {
    await run('docker', ['tag', local, remote]);
    await run('docker', ['push', remote], 10 * 60_000);
  }
}

/** Earlier recipes' rootfs images, unless an image or container still uses them (no force). */
async function removeOtherRootfsTags(): Promise<void> {
  const repository = ENGINE_ROOTFS_IMAGE.split(':')[0]!;
  const tags = await run('docker', [
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    repository,
  ]).catch(() => '');
  for (const tag of tags.split('\n')) {
    if (tag && tag !== ENGINE_ROOTFS_IMAGE) {
      await run('docker', ['rmi', tag]).catch(() => undefined);
    }
  }
}

/**
 * Builds (once) and pushes the PostgreSQL 15, MariaDB 10.11 and Redis 7 test images,
 * and returns their references in the test registry. Later calls reuse Docker's images
 * by tag and recipe label, and skip the push when the registry already holds them.
 */
export async function ensureEngineImages(): Promise<EngineImages> {
  if (!registryAnswers()) {
    throw new Error(`no registry answers on ${REGISTRY}: test/run.sh starts one`);
  }
  const engines = Object.entries(ENGINES) as [Engine, EngineRecipe][];
  const stale = [];
  for (const [, engine] of engines) {
    const image = await imageInspect(`${engine.name}:${engine.tag}`);
    if (image?.recipe !== recipeHash(engine)) stale.push(engine);
  }
  if (stale.length > 0) {
    if (!(await imageInspect(ENGINE_ROOTFS_IMAGE))) await buildRootfs();
    for (const engine of stale) {
      const previous = await imageInspect(`${engine.name}:${engine.tag}`);
      await buildEngine(engine);
      // The replaced build, unless a container still uses it (no force).
      if (previous) await run('docker', ['rmi', previous.id]).catch(() => undefined);
    }
    await removeOtherRootfsTags();
  }
  const refs = {} as EngineImages;
  for (const [key, engine] of engines) {
    const image = await imageInspect(`${engine.name}:${engine.tag}`);
    if (!image) throw new Error(`${engine.name}:${engine.tag} is missing after its build`);
    await pushEngine(engine, image.id);
    refs[key] = `${REGISTRY}/${engine.name}:${engine.tag}`;
  }
  return refs;
}
