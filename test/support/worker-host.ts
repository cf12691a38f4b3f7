import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { docker, uniqueId } from './app-fixture.js';
import { tempDir } from './processes.js';

const execFileAsync = promisify(execFile);

// A minimal Debian that stands in for a fresh worker server: curl to fetch the
// installer, sudo to run the install line exactly as the dashboard shows it.
const SUITE = 'bookworm';
const PACKAGES = ['curl', 'ca-certificates', 'sudo'];
// sudo resets the environment; the fake worker keeps the few variables the tests set.
const SUDO_KEEP =
  'Defaults env_keep += "BERTH_NODE_MIRROR BERTH_INSTALL_WAIT_SECONDS BERTH_PURGE_LABEL"';
const RECIPE = JSON.stringify({ SUITE, PACKAGES, SUDO_KEEP, variant: 'minbase', v: 1 });
export const WORKER_IMAGE = `berth-test/worker-${SUITE}:${createHash('sha256').update(RECIPE).digest('hex').slice(0, 12)}`;

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function imageExists(): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', WORKER_IMAGE], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the worker image is cached or can be built here (debootstrap, as root).
 * Under CI=true a missing tool is a failure, never a skip; elsewhere the skip is loud.
 */
export function workerImageOrSkip(): boolean {
  if (imageExists()) return true;
  const missing =
    process.getuid?.() !== 0
      ? 'root (debootstrap needs it)'
      : !hasCommand('debootstrap')
        ? 'debootstrap (apt-get install debootstrap; test/run.sh installs it)'
        : null;
  if (!missing) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      `CI=true but the worker image ${WORKER_IMAGE} cannot be built: needs ${missing}`,
    );
  }
  console.warn(
    `\n!!! The installer tests are SKIPPED: building the worker image needs ${missing} !!!\n`,
  );
  return false;
}

/** The Debian mirror apt uses on this host (deb822 or one-line sources), for debootstrap. */
export function debianMirror(): string {
  if (process.env.BERTH_TEST_DEBIAN_MIRROR) return process.env.BERTH_TEST_DEBIAN_MIRROR;
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) files.push(...readdirSync(dir).map((name) => join(dir, name)));
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text)?.[1] ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+\S+/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

/** Builds the worker image with debootstrap and `docker import`, once; later runs reuse it. */
export async function ensureWorkerImage(): Promise<string> {
  if (imageExists()) return WORKER_IMAGE;
  const root = tempDir('worker-rootfs');
  try {
    await execFileAsync(
      'debootstrap',
      ['--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, root, debianMirror()],
      { timeout: 15 * 60_000, maxBuffer: 64 << 20 },
    );
    rmSync(join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    rmSync(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    writeFileSync(join(root, 'etc/sudoers.d/berth-test'), `${SUDO_KEEP}\n`, { mode: 0o440 });
    await new Promise<void>((resolve, reject) => {
      const importer = spawn(
        'bash',
        [
          '-c',
          'set -o pipefail; tar -C "$1" -c . | docker import -c "CMD [\\"bash\\"]" - "$2"',
          'import',
          root,
          WORKER_IMAGE,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      importer.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      importer.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`docker import failed: ${stderr}`)),
      );
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return WORKER_IMAGE;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages. */
  output: string;
}

/**
 * A long-lived container acting as a worker server: host networking (so
 * 127.0.0.1 reaches the control plane and the test's servers) and the host's
 * Docker socket. No systemd runs in it.
 */
export class WorkerContainer {
  private constructor(readonly name: string) {}

  static async start(
    image: string,
    options: { mounts?: { host: string; container: string; readOnly?: boolean }[] } = {},
  ): Promise<WorkerContainer> {
    const name = `berth-install-test-${uniqueId()}`;
    const mounts = (options.mounts ?? []).flatMap((m) => [
      '-v',
      `${m.host}:${m.container}${m.readOnly ? ':ro' : ''}`,
    ]);
    await docker([
      'run',
      '-d',
      '--init',
      '--name',
      name,
      '--network',
      'host',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      ...mounts,
      image,
      'sleep',
      'infinity',
    ]);
    return new WorkerContainer(name);
  }

  /** Runs a bash command line as root in the container. */
  async exec(
    command: string,
    options: { env?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    return new Promise((resolve, reject) => {
      const child = spawn('docker', ['exec', ...env, this.name, 'bash', '-c', command], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        output += chunk.toString();
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out: docker exec ${this.name} ${command}\n${output}`));
      }, options.timeoutMs ?? 180_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr, output });
      });
    });
  }

  /** Starts a bash command line in the background (`docker exec -d`). */
  async detach(command: string): Promise<void> {
    await docker(['exec', '-d', this.name, 'bash', '-c', command]);
  }

  /** Runs a command that must succeed and returns its trimmed stdout. */
  async sh(command: string): Promise<string> {
    const result = await this.exec(command);
    if (result.code !== 0) {
      throw new Error(`\`${command}\` exited ${result.code} in ${this.name}:\n${result.output}`);
    }
    return result.stdout.trim();
  }

  async exists(path: string): Promise<boolean> {
    return (await this.exec(`test -e '${path}' || test -L '${path}'`)).code === 0;
  }

  async remove(): Promise<void> {
    await docker(['rm', '-f', this.name]).catch(() => undefined);
  }
}
