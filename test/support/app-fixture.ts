import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './processes.js';

const execFileAsync = promisify(execFile);

/** The local busybox base image (sh, httpd, sleep; PATH=/bin), imported by test/run.sh. */
export const BASE_IMAGE = process.env.BERTH_TEST_BASE_IMAGE ?? 'berth-test/busybox:latest';
/** The registry test/run.sh starts; Docker trusts 127.0.0.1 registries over plain HTTP. */
export const REGISTRY = process.env.BERTH_TEST_REGISTRY ?? '127.0.0.1:5000';
/** The port every fixture app's httpd listens on inside its container. */
export const APP_PORT = 8080;

/** A short random suffix, so names and build-cache keys never collide between runs. */
export function uniqueId(): string {
  return randomBytes(4).toString('hex');
}

export interface AppOptions {
  /** What `GET /` answers (the content of www/index.html). */
  version: string;
  /** The image in the Dockerfile's FROM line. */
  base?: string;
  /**
   * Adds `RUN echo "<marker>-$((6*7))"` before the content is copied. The build
   * output then holds `<marker>-42` (see {@link markerOutput}), while the step
   * line only shows the unevaluated command, so the two can be told apart.
   */
  marker?: string;
  /** Adds a `RUN sleep <seconds>` step, for a slow build. */
  buildSleepSeconds?: number;
  /**
   * Adds a RUN step that prints `<marker>-1` … `<marker>-<count>` (see
   * {@link tickerOutput}), one line every `intervalSeconds` (0.5 by default):
   * a slow build that keeps logging.
   */
  buildTicker?: { marker: string; count: number; intervalSeconds?: number };
  /**
   * The container prints `<crashMarker>-42` (see {@link markerOutput}) and exits 1
   * at once instead of serving; the Dockerfile itself never holds that text.
   */
  crashMarker?: string;
  /** The port httpd serves on inside the container (default {@link APP_PORT}). */
  servePort?: number;
}

/** The line a marker's RUN step prints during the build. */
export function markerOutput(marker: string): string {
  return `${marker}-42`;
}

/** The instruction that prints the marker, exactly as it is in the Dockerfile. */
export function markerInstruction(marker: string): string {
  return `RUN echo "${marker}-$((6*7))"`;
}

/** The n-th line a {@link AppOptions.buildTicker} step prints, counting from 1. */
export function tickerOutput(marker: string, n: number): string {
  return `${marker}-${n}`;
}

function tickerInstruction(ticker: NonNullable<AppOptions['buildTicker']>): string {
  const interval = ticker.intervalSeconds ?? 0.5;
  return `RUN i=1; while [ $i -le ${ticker.count} ]; do echo "${ticker.marker}-$i"; i=$((i+1)); sleep ${interval}; done`;
}

export function dockerfile(options: AppOptions): string {
  const lines = [`FROM ${options.base ?? BASE_IMAGE}`];
  if (options.marker) lines.push(markerInstruction(options.marker));
  if (options.buildSleepSeconds) lines.push(`RUN sleep ${options.buildSleepSeconds}`);
  if (options.buildTicker) lines.push(tickerInstruction(options.buildTicker));
  lines.push('COPY www /www');
  if (options.crashMarker) {
    lines.push(`CMD ["sh", "-c", "echo ${options.crashMarker}-$((6*7)); exit 1"]`);
  } else {
    const port = String(options.servePort ?? APP_PORT);
    lines.push(`CMD ["httpd", "-f", "-p", "${port}", "-h", "/www"]`);
  }
  return `${lines.join('\n')}\n`;
}

/** The files of a tiny app, keyed by path: for a git commit or a build directory. */
export function appFiles(options: AppOptions): Record<string, string> {
  return {
    Dockerfile: dockerfile(options),
    'www/index.html': `${options.version}\n`,
  };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

/** Runs the docker CLI with an argument array and returns its trimmed stdout. */
export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const running = execFileAsync('docker', args, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    running.child.stdin?.end(); // nothing reads stdin: never wait for input
    const { stdout } = await running;
    return stdout.trim();
  } catch (err) {
    const detail = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')} failed: ${detail.stderr ?? detail.message}`);
  }
}

export interface PushedImage {
  /** `127.0.0.1:5000/<repository>:<tag>`, what a service's `source.image` names. */
  image: string;
  /** The registry digest, `sha256:…`. */
  digest: string;
  /** `127.0.0.1:5000/<repository>@sha256:…`, the image pinned by digest. */
  pinned: string;
}

/**
 * Builds an image from the files and pushes it as `<REGISTRY>/<repository>:<tag>`.
 * The engine keeps no local copy under that name afterwards, so what an agent on
 * this engine runs is only what it pulled itself. Re-pushing a tag moves it in the
 * registry and leaves any copy the agent already pulled untouched.
 */
export async function pushImage(options: {
  repository: string;
  tag: string;
  files: Record<string, string>;
}): Promise<PushedImage> {
  const name = `${REGISTRY}/${options.repository}`;
  // A throwaway tag to upload under: building as `name:tag` would move a local
  // copy the agent pulled earlier, and tests must see only the registry change.
  const uploadTag = `upload-${uniqueId()}`;
  const dir = tempDir('image');
  try {
    writeFiles(dir, options.files);
    await docker(['build', '-q', '-t', `${name}:${uploadTag}`, dir]);
    await docker(['push', `${name}:${uploadTag}`]);
    const repoDigests = await docker([
      'image',
      'inspect',
      '--format',
      '{{join .RepoDigests "\\n"}}',
      `${name}:${uploadTag}`,
    ]);
    const digest = repoDigests
      .split('\n')
      .find((d) => d.startsWith(`${name}@`))
      ?.slice(name.length + 1);
    if (!digest?.startsWith('sha256:')) {
      throw new Error(`no digest for ${name}:${uploadTag} in ${JSON.stringify(repoDigests)}`);
    }
    await copyTagInRegistry(options.repository, uploadTag, options.tag);
    await docker(['image', 'rm', `${name}:${uploadTag}`]);
    return { image: `${name}:${options.tag}`, digest, pinned: `${name}@${digest}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/** Points `to` at the manifest of `from` through the registry API; the digest stays the same. */
async function copyTagInRegistry(repository: string, from: string, to: string): Promise<void> {
  const base = `http://${REGISTRY}/v2/${repository}/manifests`;
  const got = await fetch(`${base}/${from}`, { headers: { accept: MANIFEST_V2 } });
  if (!got.ok) throw new Error(`registry GET ${repository}:${from}: ${got.status}`);
  const contentType = got.headers.get('content-type') ?? MANIFEST_V2;
  const manifest = Buffer.from(await got.arrayBuffer());
  const put = await fetch(`${base}/${to}`, {
    method: 'PUT',
    headers: { 'content-type': contentType },
    body: manifest,
  });
  if (put.status !== 201) {
    throw new Error(`registry PUT ${repository}:${to}: ${put.status} ${await put.text()}`);
  }
}

/** Pushes an app image that serves `version` on {@link APP_PORT}. */
export async function pushAppImage(options: {
  repository?: string;
  tag: string;
  version: string;
}): Promise<PushedImage> {
  return pushImage({
    repository: options.repository ?? 'berth-e2e/web',
    tag: options.tag,
    files: appFiles({ version: options.version }),
  });
}

/**
 * Pushes a base image: the local busybox plus `/www/base.html` holding `content`.
 * An app built FROM it serves that file as `/base.html` next to its own index.
 */
export async function pushBaseImage(options: {
  repository?: string;
  tag: string;
  content: string;
}): Promise<PushedImage> {
  return pushImage({
    repository: options.repository ?? 'berth-e2e/base',
    tag: options.tag,
    files: {
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY www /www\n`,
      'www/base.html': `${options.content}\n`,
    },
  });
}
