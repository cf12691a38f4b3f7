import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { tempDir } from './processes.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

/** A fixed identity and no user or system config, so commits are reproducible on any machine. */
const GIT_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  GIT_AUTHOR_NAME: 'Berth Tests',
  GIT_AUTHOR_EMAIL: 'tests@berth.invalid',
  GIT_COMMITTER_NAME: 'Berth Tests',
  GIT_COMMITTER_EMAIL: 'tests@berth.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
};

/** Runs git with an argument array (never a shell) and returns its trimmed stdout. */
export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const running = execFileAsync('git', args, {
      cwd,
      env: GIT_ENV,
      timeout: 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    running.child.stdin?.end(); // nothing reads stdin: never wait for input
    const { stdout } = await running;
    return stdout.trim();
  } catch (err) {
    const detail = err as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${detail.stderr ?? detail.message}`);
  }
}

/** A working repository inside the served directory; the daemon serves what it has committed. */
export class GitRepo {
  constructor(
    readonly name: string,
    readonly dir: string,
    /** The `git://` URL a service uses to fetch this repository. */
    readonly url: string,
  ) {}

  /**
   * Writes the files (paths relative to the repository root), removes the paths
   * given as `null`, and commits everything on the current branch.
   * Returns the new commit's full SHA.
   */
  async commit(files: Record<string, string | null>, message = 'change'): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      const target = join(this.dir, path);
      if (content === null) {
        await git(this.dir, ['rm', '-r', '-q', '--ignore-unmatch', '--', path]);
        continue;
      }
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
    await git(this.dir, ['add', '-A']);
    await git(this.dir, ['commit', '-q', '--allow-empty', '-m', message]);
    return this.sha('HEAD');
  }

  /** The full SHA a ref points to. */
  async sha(ref: string): Promise<string> {
    return git(this.dir, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
  }

  /** Creates the branch, or moves it, to the given commit (the checked-out branch included). */
  async moveBranch(branch: string, sha: string): Promise<void> {
    const current = await git(this.dir, ['symbolic-ref', '--short', 'HEAD']);
    if (current === branch) await git(this.dir, ['reset', '-q', '--hard', sha]);
    else await git(this.dir, ['branch', '-f', '--', branch, sha]);
  }

  /** Creates or moves a lightweight tag. */
  async tag(tag: string, sha: string): Promise<void> {
    await git(this.dir, ['tag', '-f', '--', tag, sha]);
  }
}

/** Makes `dir` an empty repository on branch `main`, ready to commit to and to serve. */
export async function initRepo(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['config', 'commit.gpgsign', 'false']);
  // Like GitHub, let clients fetch any commit reachable from a ref, not only ref tips.
  await git(dir, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
}

/**
 * A real `git daemon` serving repositories read-only over git:// on 127.0.0.1,
 * so the agent fetches over the network exactly as it would from a remote host.
 */
export class GitServer {
  private constructor(
    readonly baseDir: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly output: () => string,
  ) {}

  static async start(): Promise<GitServer> {
    const baseDir = tempDir('git');
    const port = await freePort();
    const child = spawn(
      'git',
      [
        'daemon',
        '--export-all',
        `--base-path=${baseDir}`,
        '--reuseaddr',
        '--listen=127.0.0.1',
        `--port=${port}`,
        '--enable=upload-pack',
        '--verbose',
        baseDir,
      ],
      { env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const server = new GitServer(baseDir, port, child, exited, () => output);
    await waitFor(`git daemon on 127.0.0.1:${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`git daemon exited:\n${output}`);
      return acceptsConnections(port);
    });
    return server;
  }

  /** Creates an empty repository on branch `main`, served as git://127.0.0.1:<port>/<name>. */
  async createRepo(name: string): Promise<GitRepo> {
    const dir = join(this.baseDir, name);
    await initRepo(dir);
    return new GitRepo(name, dir, `git://127.0.0.1:${this.port}/${name}`);
  }

  get log(): string {
    return this.output();
  }

  /** Stops the daemon by its own PID. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
