import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { tempDir } from './processes.js';
import { waitFor } from './wait.js';

const execFileAsync = promisify(execFile);

/** A second docker-registry that wants a user name and password (htpasswd, bcrypt). */
export interface AuthRegistry {
  /** `127.0.0.1:<port>`: what an image reference names and a credential's `host` is. */
  host: string;
  username: string;
  password: string;
  /** Copies an image of the local engine into this registry as `<host>/<name>`. */
  push(localImage: string, name: string): Promise<void>;
  /** Kills the registry by its PID and removes its data. */
  stop(): Promise<void>;
}

/** Runs a command, feeding `input` to its stdin (so a password never goes in argv). */
async function run(command: string, args: string[], input?: string): Promise<void> {
  const running = execFileAsync(command, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  running.child.stdin?.end(input ?? '');
  try {
    await running;
  } catch (err) {
    const detail = err as { stderr?: string; message: string };
    throw new Error(`${command} ${args[0] ?? ''} failed: ${detail.stderr ?? detail.message}`);
  }
}

/** The registry's configuration, as scripts/local.sh writes it, plus htpasswd auth. */
function registryConfig(dir: string, host: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    'http:',
    `  addr: ${host}`,
    'auth:',
    '  htpasswd:',
    '    realm: berth-test',
    `    path: ${join(dir, 'htpasswd')}`,
    '',
  ].join('\n');
}

/**
 * Starts `docker-registry serve` on a free loopback port, its data in a temp dir, accepting only
 * `username`/`password`. Docker trusts 127.0.0.0/8 registries over plain HTTP.
 */
export async function startAuthRegistry(
  options: { username?: string; password?: string } = {},
): Promise<AuthRegistry> {
  const username = options.username ?? 'berth-ci';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-private`;
  const dir = tempDir('auth-registry');
  const host = `127.0.0.1:${await freePort()}`;
  await run('htpasswd', ['-B', '-i', '-c', join(dir, 'htpasswd'), username], password);
  writeFileSync(join(dir, 'registry.yml'), registryConfig(dir, host));
  const log = createWriteStream(join(dir, 'registry.log'));
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Up once /v2/ asks for credentials.
    await waitFor(`the registry on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited (log: ${dir})`);
      return (await fetch(`http://${host}/v2/`)).status === 401;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const authFile = join(dir, 'auth.json');
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
  return {
    host,
    username,
    password,
    async push(localImage, name) {
      await run('skopeo', [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        '--dest-authfile',
        authFile,
        `docker-daemon:${localImage}`,
        `docker://${host}/${name}`,
      ]);
    },
    stop,
  };
}
