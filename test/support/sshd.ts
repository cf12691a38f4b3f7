import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GitRepo, acceptsConnections, initRepo } from './git-server.js';
import { freePort } from './ports.js';
import { tempDir } from './processes.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

/**
 * Debian's OpenSSH server on a free 127.0.0.1 port, with its own config, host key and
 * authorized_keys in a temporary folder, serving repositories in that folder over SSH to the
 * user running the tests. Stopped by its own PID.
 */
export class SshGitServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly user: string,
  ) {}

  static async start(): Promise<SshGitServer> {
    const dir = tempDir('sshd');
    const user = (await execFileAsync('id', ['-un'])).stdout.trim();
    const server = new SshGitServer(dir, await freePort(), user);
    writeFileSync(join(dir, 'authorized_keys'), '', { mode: 0o600 });
    await server.newHostKey();
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${server.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_ed25519')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        // The temporary folder sits in world-writable /tmp, which StrictModes refuses.
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        `AllowUsers ${user}`,
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    // sshd's privilege separation needs this folder; Debian creates it only when the service runs.
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    await server.run();
    return server;
  }

  /** Creates an empty repository, served as ssh://<user>@127.0.0.1:<port>/<dir>/<name>. */
  async createRepo(name: string): Promise<GitRepo> {
    const dir = join(this.dir, 'repos', name);
    await initRepo(dir);
    return new GitRepo(name, dir, `ssh://${this.user}@127.0.0.1:${this.port}${dir}`);
  }

  /** Lets this public key (one authorized_keys line) log in. */
  authorize(publicKey: string): void {
    writeFileSync(join(this.dir, 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
  }

  /** The `SHA256:…` fingerprint of the host key the server presents now. */
  async hostKeyFingerprint(): Promise<string> {
    const pub = join(this.dir, 'host_ed25519.pub');
    const { stdout } = await execFileAsync('ssh-keygen', ['-l', '-f', pub]);
    return stdout.split(' ')[1]!;
  }

  /** Gives the server a new host key, as a reinstalled or impersonated server would have. */
  async changeHostKey(): Promise<void> {
    await this.stop();
    await this.newHostKey();
    await this.run();
  }

  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private async newHostKey(): Promise<void> {
    const key = join(this.dir, 'host_ed25519');
    rmSync(key, { force: true });
    rmSync(`${key}.pub`, { force: true });
    await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  }

  private async run(): Promise<void> {
    // -D stays in the foreground (so it is ours to stop), -e logs to stderr.
    const child = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    await waitFor(`sshd on 127.0.0.1:${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`sshd exited:\n${this.output}`);
      return acceptsConnections(this.port);
    });
  }
}
